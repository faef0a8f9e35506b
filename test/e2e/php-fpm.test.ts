/**
 * A MediaWiki-style pool end to end with the real server: a jail built from profiles, php-fpm started with the
 * pool configuration jailbuild prints, chrooted into the jail, and PHP scripts (bind-mounted as the web
 * root) that resolve names, fetch HTTPS, send mail, run latex/dvipng and ps2pdf, write their data folder
 * and fail to read the host.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const WWW = 33; // Debian's www-data: the pool's user and group in this test
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Mail {
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP sink on 127.0.0.1 that records what it receives. */
function smtpSink(): Promise<{ server: Server; port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = createServer((sock) => {
    let buf = '';
    let mail: Mail = { from: '', to: [], data: '' };
    let inData = false;
    // A client may hang up right after QUIT without reading the reply: not an error of the sink.
    sock.on('error', () => undefined);
    sock.write('220 sink ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(mail);
            mail = { from: '', to: [], data: '' };
            sock.write('250 queued\r\n');
          } else mail.data += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'MAIL') mail.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
        if (verb === 'RCPT') mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
        if (verb === 'DATA') {
          inData = true;
          sock.write('354 go on\r\n');
        } else if (verb === 'QUIT') {
          sock.end('221 bye\r\n');
        } else sock.write('250 ok\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, mails })));
}

/** A sendmail-compatible SMTP client, like mini_sendmail: -t reads the recipients from To:, --username=NAME is the sender. */
const MINI_SENDMAIL_C = (port: number): string => `#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static char reply[1024];
static void expect(int fd) { ssize_t n = read(fd, reply, sizeof reply - 1); if (n <= 0 || reply[0] > '3') exit(69); reply[n] = 0; }
static void say(int fd, const char *s) { if (write(fd, s, strlen(s)) < 0) exit(74); }
int main(int argc, char **argv) {
  const char *user = 0; char to[64][256]; int nto = 0; char line[4096]; char *msg = calloc(1, 1 << 20); size_t len = 0;
  for (int i = 1; i < argc; i++) if (!strncmp(argv[i], "--username=", 11)) user = argv[i] + 11;
  if (!user) { fprintf(stderr, "mini_sendmail: no --username\\n"); return 64; }
  int headers = 1;
  while (fgets(line, sizeof line, stdin)) {
    if (headers && (line[0] == '\\n' || line[0] == '\\r')) headers = 0;
    if (headers && !strncasecmp(line, "To:", 3) && nto < 64) { char *a = line + 3; while (*a == ' ') a++; a[strcspn(a, "\\r\\n")] = 0; snprintf(to[nto++], 256, "%s", a); }
    size_t l = strlen(line); if (len + l + 2 < (1 << 20)) { memcpy(msg + len, line, l); len += l; }
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(${port}) };
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return 69;
  char cmd[512]; expect(fd); say(fd, "HELO jail\\r\\n"); expect(fd);
  snprintf(cmd, sizeof cmd, "MAIL FROM:<%s@localhost>\\r\\n", user); say(fd, cmd); expect(fd);
  for (int i = 0; i < nto; i++) { snprintf(cmd, sizeof cmd, "RCPT TO:<%s>\\r\\n", to[i]); say(fd, cmd); expect(fd); }
  say(fd, "DATA\\r\\n"); expect(fd);
  for (char *p = strtok(msg, "\\n"); p; p = strtok(0, "\\n")) { p[strcspn(p, "\\r")] = 0; say(fd, p); say(fd, "\\r\\n"); }
  say(fd, ".\\r\\n"); expect(fd); say(fd, "QUIT\\r\\n");
  return 0;
}
`;

/** One FastCGI request with cgi-fcgi, asynchronously: the SMTP sink in this process must keep answering meanwhile. */
function fcgi(socket: string, script: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('cgi-fcgi', ['-bind', '-connect', socket], {
      env: { SCRIPT_FILENAME: `/srv/www/${script}`, SCRIPT_NAME: `/${script}`, REQUEST_METHOD: 'GET', QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c) => (out += c.toString('utf8')));
    child.on('close', () => {
      clearTimeout(timer);
      resolve(
        out
          .split(/\r?\n\r?\n/)
          .slice(1)
          .join('\n\n')
          .trim(),
      );
    });
  });
}

test('php-fpm in a jail: DNS, HTTPS, mail(), latex+dvipng, ps2pdf, a writable data mount, and no way out', async () => {
  const dir = tempDir('jailbuild-php-');
  const jail = join(dir, 'chroot', 'wiki');
  const www = join(dir, 'www');
  const data = join(dir, 'data');
  const secret = join(dir, 'host-secret.txt');
  mkdirSync(www, { recursive: true });
  mkdirSync(data, { recursive: true });
  chownSync(data, WWW, WWW);
  writeFileSync(secret, 'host only\n');
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const installedCa = '/usr/local/share/ca-certificates/jailbuild-php-test-ca.crt';
  const restoreCaStore = (): void => {
    if (!existsSync(installedCa)) return;
    rmSync(installedCa, { force: true });
    execFileSync('update-ca-certificates', ['--fresh'], { stdio: 'ignore' });
  };
  process.on('exit', restoreCaStore);
  let mounted = false;
  const profileArgs = ['--set', 'POOL=www-data', '--set', `WEBROOT=${www}`, '--set', `WEBDATA=${data}`, '--set', `RESOLV_CONF=${join(dir, 'resolv.conf')}`, '--set', `SENDMAIL=${join(dir, 'mini_sendmail')}`];
  const profile = join(dir, 'wiki.json');

  try {
    // Services on 127.0.0.1: DNS (dnsmasq), SMTP (a sink), HTTPS (openssl s_server with a test CA).
    const dns = spawn('dnsmasq', ['-k', '--conf-file=/dev/null', '--listen-address=127.0.0.1', '--bind-interfaces', '--port=53', '--no-resolv', '--no-hosts', '--user=root', '--address=/jailtest.example/10.11.12.13'], {
      stdio: 'ignore',
    });
    children.push(dns);
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n');
    const smtp = await smtpSink();
    servers.push(smtp.server);
    writeFileSync(join(dir, 'mini_sendmail.c'), MINI_SENDMAIL_C(smtp.port));
    execFileSync('gcc', ['-O2', '-o', join(dir, 'mini_sendmail'), join(dir, 'mini_sendmail.c')]);

    const ssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=jailbuild php test CA']);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf']);
    mkdirSync('/usr/local/share/ca-certificates', { recursive: true });
    writeFileSync(installedCa, readFileSync(join(dir, 'ca.crt')));
    execFileSync('update-ca-certificates', [], { stdio: 'ignore' });
    const tlsPort = 20000 + Math.floor(Math.random() * 20000);
    children.push(spawn('openssl', ['s_server', '-accept', `127.0.0.1:${tlsPort}`, '-cert', 'srv.crt', '-key', 'srv.key', '-www', '-quiet'], { cwd: dir, stdio: 'ignore' }));

    // The web root: one script per thing such pools do (DNS, HTTPS, mail, TeX, ghostscript, data).
    const php = (name: string, body: string): void => writeFileSync(join(www, name), `<?php\n${body}\n`);
    php('dns.php', "echo gethostbyname('jailtest.example');");
    php(
      'https.php',
      `$c = curl_init('https://localhost:${tlsPort}/'); curl_setopt($c, CURLOPT_RETURNTRANSFER, true); $r = curl_exec($c); echo $r === false ? 'curl error: ' . curl_error($c) : (strpos($r, 's_server') !== false ? 'TLS OK' : 'unexpected page');`,
    );
    php('mail.php', "var_dump(mail('someone@example.test', 'from the jail', 'hello from php-fpm'));");
    php(
      'tex.php',
      "@mkdir('/tmp/tex'); file_put_contents('/tmp/tex/f.tex', '\\\\documentclass{article}\\\\usepackage{amsmath}\\\\pagestyle{empty}\\\\begin{document}$e^{i\\\\pi}+1=0$\\\\end{document}');\n" +
        "shell_exec('cd /tmp/tex && latex -interaction=nonstopmode f.tex > /dev/null 2>&1 && dvipng -T tight -D 120 -o f.png f.dvi > /dev/null 2>&1');\n" +
        "$png = @file_get_contents('/tmp/tex/f.png'); echo $png !== false && substr($png, 1, 3) === 'PNG' ? 'PNG ' . strlen($png) : 'no png';",
    );
    php(
      'gs.php',
      'file_put_contents(\'/tmp/in.ps\', "%!PS\\n/Times-Roman findfont 20 scalefont setfont 72 700 moveto (jail) show showpage\\n");\n' +
        "shell_exec('ps2pdf /tmp/in.ps /tmp/out.pdf 2>&1'); $pdf = @file_get_contents('/tmp/out.pdf'); echo $pdf !== false && substr($pdf, 0, 5) === '%PDF-' ? 'PDF' : 'no pdf';",
    );
    php('files.php', `echo file_put_contents('/srv/data/hello.txt', 'written from the jail') ? 'wrote' : 'write failed'; echo ' '; var_dump(@file_get_contents('${secret}'));`);

    // The jail: a profile composed of the shipped ones, built, mounted, and its pool configuration.
    writeFileSync(profile, JSON.stringify({ name: 'wiki', extends: ['php-fpm', 'dns', 'https', 'sendmail', 'tex', 'ghostscript'] }, null, 2));
    const built = jailbuild(['profile', profile, '--out', jail, ...profileArgs]);
    assert.is(built.code, 0, built.stderr);
    restoreCaStore();
    const mountRun = jailbuild(['mount', profile, '--out', jail, ...profileArgs]);
    assert.is(mountRun.code, 0, mountRun.stderr);
    mounted = true;
    const socket = join(dir, 'wiki.sock');
    const pool = jailbuild(['php-fpm-pool', profile, '--name', 'wiki', '--out', jail, '--socket', socket, '--listen-owner', 'root', '--listen-group', 'root', ...profileArgs]);
    assert.is(pool.code, 0, pool.stderr);
    assert.match(pool.stdout, 'php_admin_value[sendmail_path] = "/usr/bin/sendmail -t -i --username=www-data"');
    assert.match(pool.stdout, /^env\[PATH\] = /m);
    assert.match(pool.stdout, `chroot = ${jail}`);
    writeFileSync(join(dir, 'php-fpm.conf'), `[global]\npid = ${join(dir, 'php-fpm.pid')}\nerror_log = ${join(dir, 'php-fpm.log')}\ndaemonize = no\n\n${pool.stdout.replace(/^prefix = .*$/m, `prefix = ${dir}`)}`);
    const fpm = spawn('php-fpm8.2', ['-F', '-y', join(dir, 'php-fpm.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(fpm);
    let fpmErr = '';
    fpm.stderr?.on('data', (c) => (fpmErr += c.toString()));
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100);
    assert.ok(existsSync(socket), `php-fpm did not start: ${fpmErr}`);
    await sleep(300);

    assert.is(await fcgi(socket, 'dns.php'), '10.11.12.13', 'DNS through dnsmasq, libnss loaded inside the jail');
    assert.is(await fcgi(socket, 'https.php'), 'TLS OK', 'HTTPS with the test CA');
    const mailed = await fcgi(socket, 'mail.php');
    assert.match(mailed, 'bool(true)', `mail(): ${mailed} ${readFileSync(join(dir, 'php-fpm.log'), 'utf8').slice(-2000)}`);
    for (let i = 0; i < 50 && smtp.mails.length === 0; i++) await sleep(100);
    assert.is(smtp.mails.length, 1, 'the SMTP sink received one message');
    assert.is(smtp.mails[0]?.from, 'www-data@localhost');
    assert.equal(smtp.mails[0]?.to, ['someone@example.test']);
    assert.match(smtp.mails[0]?.data ?? '', 'hello from php-fpm');
    assert.match(await fcgi(socket, 'tex.php'), /^PNG \d+$/);
    assert.is(await fcgi(socket, 'gs.php'), 'PDF');
    assert.is(await fcgi(socket, 'files.php'), 'wrote bool(false)');
    assert.is(readFileSync(join(data, 'hello.txt'), 'utf8'), 'written from the jail');
  } finally {
    for (const c of children) c.kill('SIGTERM');
    for (const s of servers) s.close();
    await sleep(300);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (mounted) {
      const um = jailbuild(['umount', profile, '--out', jail, ...profileArgs]);
      assert.is(um.code, 0, `umount: ${um.stdout}${um.stderr}`);
    }
    restoreCaStore();
  }
});

test.run();
