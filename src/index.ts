/** jailbuild's public API: everything the CLI does is available from here. */
export { JailError, describeError, type Diagnostic, type ErrorCode } from './errors.js';
export { BufferSource, FileSource, type ByteSource } from './elf/byte-source.js';
export { readElf, hasElfMagic } from './elf/read-elf.js';
export type { ElfInfo, DlopenDeclaration } from './elf/elf-info.js';
export { machineName } from './elf/constants.js';
export { RootFs, compareBytes, type Lookup, type LinkHop, MAX_LINKS } from './rootfs/rootfs.js';
export { parseLdCache, lookupLdCache, type LdCache, type LdCacheEntry } from './loader/ld-so-cache.js';
export { readLdSoConf } from './loader/ld-so-conf.js';
export { archOf, compatibleElf, ARCHES, type Arch } from './loader/arch.js';
export { ElfResolver, type ElfClosure, type LoadedObject, type MissingLibrary, type DlopenLevel } from './resolve/elf-resolver.js';
export { resolveInputs, resolveOne, locateInput, DEFAULT_PATH, type InputResolution, type ResolveOptions } from './resolve/resolve-inputs.js';
export { NeedSet, type Need } from './resolve/need-set.js';
export { ProgramResolver, type ProgramClosure, type MissingItem, type ProgramResolverOptions } from './resolve/program-resolver.js';
export { analyzeShellScript, type ShellAnalysis, type CommandUse, type ShellHost } from './script/shell-analysis.js';
export { parseShebang, envTarget } from './script/shebang.js';
