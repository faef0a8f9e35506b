/** jailbuild's public API: everything the CLI does is available from here, with every type it takes or gives. */

// Errors, diagnostics and their codes.
export { JailError, describeError, printable, type Diagnostic, type ErrorCode, type ErrorDetails } from './errors.js';
export { CODES, type Code } from './codes.js';

// Reading files: positioned reads, ELF headers.
export { BufferSource, FileSource, MAX_READ, type ByteSource, type ClosableSource } from './io/byte-source.js';
export { readElf, hasElfMagic } from './elf/read-elf.js';
export { namedPaths, namedPathsOfFile, namedPathsIn, pathsInString } from './elf/named-paths.js';
export type { ElfInfo, DlopenDeclaration } from './elf/elf-info.js';
export { machineName } from './elf/constants.js';

// Source roots: a host folder or a tarball, links resolved inside them.
export { SourceRoot, compareBytes, nodeKindOf, MAX_LINKS, type Lookup, type LinkHop, type NodeKind } from './rootfs/source-root.js';
export { RootFs, identityOf } from './rootfs/rootfs.js';
export { DirHandle, type OpenedFile } from './rootfs/dir-handle.js';
export { hostPrivacy, knownSecretPath } from './rootfs/host-private.js';

// The loader's rules.
export { parseLdCache, lookupLdCache, type LdCache, type LdCacheEntry } from './loader/ld-so-cache.js';
export { readLdSoConf } from './loader/ld-so-conf.js';
export { archOf, compatibleElf, ARCHES, type Arch } from './loader/arch.js';

// Resolution: what programs load and run.
export { ElfResolver, type ElfClosure, type ElfResolverOptions, type LoadedObject, type MissingLibrary, type DlopenLevel } from './resolve/elf-resolver.js';
export { resolveInputs, eachResolution, resolveOne, locateInput, DEFAULT_PATH, type InputResolution, type ResolveOptions } from './resolve/resolve-inputs.js';
export { NeedSet, type Need } from './resolve/need-set.js';
export { ProgramResolver, type ProgramClosure, type MissingItem, type ProgramResolverOptions } from './resolve/program-resolver.js';
export { analyzeShellScript, type ShellAnalysis, type CommandUse, type ShellHost } from './script/shell-analysis.js';
export { parseShebang, envTarget } from './script/shebang.js';

// The jail entry model and why each entry is there.
export { isDevice, modeString, type JailEntry, type EntryKind, type GeneratedFile, type SourceIdentity } from './model/jail-entry.js';
export { describeReason, describeProfileLine, PHRASES, type Reason, type ReasonKind, type ProfileLine, type Phrases } from './model/reason.js';
export { checkEntries } from './model/check-entries.js';

// Profiles and settings.
export { loadProfile, loadProfileFromObject, findProfile, type LoadProfileOptions } from './profile/load-profile.js';
export type {
  Profile,
  ProfileDocument,
  Origin,
  Located,
  IdValue,
  EntryOverrides,
  BinarySpec,
  FileSpec,
  TreeSpec,
  ContentSpec,
  SymlinkSpec,
  DirectorySpec,
  DeviceName,
  DeviceSpec,
  UserSpec,
  GroupSpec,
  PermissionPolicy,
  MountSpec,
  TestSpec,
  TestFileSpec,
} from './profile/profile-types.js';
export { loadConfig, type JailbuildConfig } from './config/load-config.js';
export { loadProfileWithSettings, outputFolder } from './config/profile-settings.js';
export { sourceDateEpoch } from './config/source-date-epoch.js';

// Plans.
export { buildPlan, type Plan, type PlanOptions } from './plan/build-plan.js';
export { parseModeChange, type ModeChange } from './plan/mode-policy.js';

// Writing jails.
export { writeTree, recoverLeftovers, type TreeResult, type WriteTreeOptions } from './emit/write-tree.js';
export { writeTarball, gzipByName, tarName, GZIP_LEVEL, type TarballOptions, type TarballResult } from './emit/write-tarball.js';
export { writeOciLayout, ociPlatformOf, canonicalJson, type OciOptions, type OciResult } from './emit/write-oci.js';
export { manifestOf, manifestText, writeManifest, type ManifestEntry } from './emit/write-manifest.js';
export { writeOutputs, wantsOutputs, type OutputTargets, type OutputReport } from './emit/write-outputs.js';
export { generatedBytes } from './emit/generate-files.js';
export { removeTreeSafely } from './emit/safe-remove.js';
export { checkReplaceable, checkOutputPlace, markPathOf } from './emit/output-mark.js';

// Auditing jails.
export { auditJail, readInventory, type AuditOptions, type AuditResult } from './audit/run-audit.js';
export { whyChain, renderSteps, type WhyAnswer, type WhyStep } from './audit/why.js';
export type { Finding, Severity } from './audit/finding.js';
export type { Inventory } from './audit/inventory.js';
export { AnalysisCache } from './cache/analysis-cache.js';

// PHP-FPM pools.
export { poolConfig, handlerLines, type PoolOptions } from './phpfpm/pool-config.js';
export { poolConfigForJail, type PoolRequest } from './phpfpm/pool-for-jail.js';

// Mounts.
export { bindMounts, unbindMounts, type MountReport, type UnmountReport } from './mounts/bind-mounts.js';
export { openMountSource, systemFolder, type MountSource, type FollowedLink } from './mounts/open-mount-source.js';
export { mountsBelow, readMountTable, type MountEntry } from './mounts/mounts-below.js';
export { processesInside, describeProcesses, type ProcessInside } from './mounts/processes-inside.js';
export { mountProc, unmountProc, mountFreshTmp } from './mounts/run-time-mounts.js';

// Tests in jails, diagnosis, fixes and traces.
export { testProfile, extendsReference, type TestProfileOptions, type TestReport, type TestRound, type TestEvent } from './jailtest/test-profile.js';
export { runTests, testsOf, testUser, type RunTestsOptions, type TestOutcome, type TestUser } from './jailtest/run-tests.js';
export { runInNamespaces, type JailCommand, type JailRunResult } from './jailtest/namespace-run.js';
export { diagnose, describeDiagnosis, permissionAtFault, type Diagnosis, type DiagnoseContext, type PermissionProblem } from './jailtest/diagnose.js';
export { needOf, type AccessNeed, type NeedContext, type Refusal } from './jailtest/access-needs.js';
export { traceCommand, additionsFromTrace, type TraceOptions, type TraceResult } from './jailtest/trace-run.js';
export { readTrace, parseProcessTrace, straceArgs, decodeCString, type Access, type AccessKind } from './jailtest/strace-log.js';
export { addToProfileText, writeAdditions, presentInText } from './jailtest/profile-patch.js';
export { profileValue, describeAddition, mergeAdditions, additionKey, type Addition, type AdditionField } from './jailtest/profile-additions.js';
export { packageFolder, isSharedFolder } from './jailtest/package-folders.js';
export { PackageIndex } from './packages/package-index.js';
