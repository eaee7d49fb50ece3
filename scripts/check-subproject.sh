#!/bin/sh
# SPDX-License-Identifier: MIT
# Uses this tree as a meson subproject, as a project that embeds
# libshadowmmu does: a scratch consumer project whose
# subprojects/shadowmmu is this tree (a symlink) finds it with
# dependency('shadowmmu') through meson.override_dependency (never an
# installed one: --force-fallback-for, no downloads), builds a program
# against the shared library, one against the static one and a
# freestanding one (-nostdlib -static, its own _start) against
# dependency('shadowmmu-freestanding'), and runs all three. Then it checks
# that the subproject built the library and nothing else: no simulator,
# test, example or benchmark target, no test of its own, and no lookup of
# their dependencies (liburcu, Criterion, libcpuid).
# usage: check-subproject.sh
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/consumer/subprojects"
ln -s "$src" "$tmp/consumer/subprojects/shadowmmu"
cd "$tmp/consumer"

cat >meson.build <<'EOF'
project('smmu-consumer', 'c', meson_version : '>=1.0.0')
smmu = dependency('shadowmmu', fallback : 'shadowmmu')
smmu_static = dependency('shadowmmu', static : true, fallback : 'shadowmmu')
smmu_fs = dependency('shadowmmu-freestanding', fallback : 'shadowmmu')
test('shared', executable('consumer', 'consumer.c', dependencies : smmu))
test('static', executable('consumer-static', 'consumer.c',
  dependencies : smmu_static))
test('freestanding', executable('consumer-freestanding', 'freestanding.c',
  dependencies : smmu_fs,
  c_args : ['-fno-pie', '-fno-stack-protector', '-mgeneral-regs-only'],
  link_args : ['-nostdlib', '-static', '-no-pie'],
  pie : false))
EOF

cat >consumer.c <<'EOF'
#include <shadowmmu/shadowmmu.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct smmu_policy kvm;

	printf("libshadowmmu %s (header %s)\n", smmu_version(),
	       SMMU_VERSION_STRING);
	if (strcmp(smmu_version(), SMMU_VERSION_STRING) != 0 ||
	    smmu_version_number() != SMMU_VERSION)
		return 1;
	/* KVM's preset keeps 3 cached roots; an unknown preset is refused. */
	if (smmu_policy_preset(SMMU_POLICY_KVM, &kvm) != SMMU_OK ||
	    kvm.cached_roots != 3)
		return 1;
	return smmu_policy_preset((enum smmu_policy_preset)99, &kvm) ==
			       SMMU_EINVAL
		       ? 0
		       : 1;
}
EOF

# No libc: the entry point is ours, the exit a system call.
cat >freestanding.c <<'EOF'
#include <shadowmmu/shadowmmu.h>

static void sys_exit(long code)
{
	__asm__ volatile("syscall" : : "a"(60L), "D"(code) : "rcx", "r11",
			 "memory");
	for (;;)
		;
}

void _start(void);
void _start(void)
{
	static const char want[] = SMMU_VERSION_STRING;
	const char *v = smmu_version();
	struct smmu_policy kvm;
	unsigned i;

	for (i = 0; i < sizeof(want); i++)
		if (v[i] != want[i])
			sys_exit(1);
	if (smmu_policy_preset(SMMU_POLICY_KVM, &kvm) != SMMU_OK ||
	    kvm.cached_roots != 3)
		sys_exit(1);
	sys_exit(0);
}
EOF

fail() {
	echo "subproject: $*" >&2
	exit 1
}
meson setup build --wrap-mode=nodownload \
	--force-fallback-for=shadowmmu,shadowmmu-freestanding >setup.log 2>&1 ||
	{ cat setup.log >&2; fail "meson setup of the consumer failed"; }
ninja -C build >build.log 2>&1 || { cat build.log >&2; fail "build failed"; }
meson test -C build --print-errorlogs >test.log 2>&1 ||
	{ cat test.log >&2; fail "the consumer's programs failed"; }

# The subproject's targets: the library's three, nothing else.
meson introspect build --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["subproject"]:
        print(t["name"], t["type"])
' | sort >targets
cat >want <<'EOF'
shadowmmu shared library
shadowmmu static library
shadowmmu-freestanding static library
EOF
diff -u want targets >targets.diff ||
	{ cat targets.diff >&2; fail "the subproject defines targets beyond the library's"; }
# Its tests are not the consumer's.
meson test -C build --list 2>/dev/null | grep -v '^ninja:' | sort >tests
printf '%s\n' freestanding shared static >want
diff -u want tests >tests.diff ||
	{ cat tests.diff >&2; fail "meson test runs tests of the subproject"; }
# Only the library's own dependencies were looked up.
! grep -iE 'liburcu|criterion|libcpuid' build/meson-logs/meson-log.txt >deps ||
	{ cat deps >&2; fail "the subproject looked for the simulator's or tests' dependencies"; }
! find build/subprojects -type f -name 'smmu-*' | grep . >&2 ||
	fail "the subproject built programs"
echo "subproject: a consumer built and ran against dependency('shadowmmu') (shared, static) and dependency('shadowmmu-freestanding'); the subproject built $(wc -l <targets) library targets and nothing else"
