// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Hypervisor processes and what their command lines say of the guest: the command lines
 * libvirt, Proxmox, Firecracker and Cloud Hypervisor really start. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "procs/hypervisor.h"
#include "lib/util.h"

#define RAW(s) s, sizeof(s) - 1

Test(hypervisor, process_names)
{
	cr_expect_str_eq(hypervisor__of_comm("qemu-system-x86")->name, "qemu");
	cr_expect_str_eq(hypervisor__of_comm("qemu-system-aar")->name, "qemu");
	cr_expect_str_eq(hypervisor__of_comm("qemu-kvm")->name, "qemu");
	cr_expect_str_eq(hypervisor__of_comm("kvm")->name, "qemu");	/* Proxmox */
	cr_expect_str_eq(hypervisor__of_comm("firecracker")->name, "firecracker");
	cr_expect_str_eq(hypervisor__of_comm("cloud-hyperviso")->name, "cloud-hypervisor");
	cr_expect_null(hypervisor__of_comm("kvm-irqfd-clean"));	/* a kernel thread */
	cr_expect_null(hypervisor__of_comm("qemu-img"));
	cr_expect_null(hypervisor__of_comm("bash"));
	cr_expect_null(hypervisor__of_comm(""));
	cr_expect_null(hypervisor__of_comm(NULL));
}

static void parse(const char *comm, const char *argv, size_t len, const char *name,
		  unsigned vcpus)
{
	char got[VM_NAME_MAX];
	unsigned v = 12345;

	memset(got, 'X', sizeof(got));
	cr_assert_eq(hypervisor__parse(hypervisor__of_comm(comm), argv, len, got, sizeof(got), &v),
		     0);
	cr_expect_str_eq(got, name, "%s: name '%s', want '%s'", comm, got, name);
	cr_expect_eq(v, vcpus, "%s %s: vcpus %u, want %u", comm, name, v, vcpus);
}

Test(hypervisor, qemu_as_libvirt_starts_it)
{
	parse("qemu-system-x86",
	      RAW("/usr/bin/qemu-system-x86_64\0-name\0guest=guest1,debug-threads=on\0-S\0"
		  "-object\0{\"qom-type\":\"secret\"}\0-machine\0pc-q35-7.2,usb=off\0"
		  "-smp\0" "2,sockets=2,cores=1,threads=1\0-m\0size=1048576k\0"),
	      "guest1", 2);
}

Test(hypervisor, qemu_as_proxmox_starts_it)
{
	parse("kvm", RAW("/usr/bin/kvm\0-id\0" "100\0-name\0web01,debug-threads=on\0"
			 "-smp\0" "4,sockets=1,cores=4,maxcpus=4\0-nodefaults\0"),
	      "web01", 4);
}

Test(hypervisor, qemu_by_hand)
{
	/* -name NAME, --name, no -smp: one vCPU */
	parse("qemu-system-x86", RAW("qemu-system-x86_64\0-name\0tiny\0-m\0" "256\0"), "tiny", 1);
	parse("qemu-system-x86", RAW("qemu-system-x86_64\0--name\0tiny\0-smp\0cpus=3\0"), "tiny", 3);
	/* topology only: its product; maxcpus alone */
	parse("qemu-system-x86", RAW("q\0-smp\0sockets=2,cores=4,threads=2\0"), "", 16);
	parse("qemu-system-x86", RAW("q\0-smp\0maxcpus=6\0"), "", 6);
	/* no -name: no name (the caller falls back to the PID) */
	parse("qemu-kvm", RAW("/usr/libexec/qemu-kvm\0-m\0" "512\0"), "", 1);
	/* the last -name wins, as in QEMU; a comma doubled is a comma */
	parse("qemu-system-x86", RAW("q\0-name\0a\0-name\0guest=b,,c,process=x\0"), "b,c", 1);
	/* guest= after another option, and a name with spaces (one argument) */
	parse("qemu-system-x86", RAW("q\0-name\0process=p,guest=my vm\0"), "my vm", 1);
	/* the value of an option is not an option */
	parse("qemu-system-x86", RAW("q\0-name\0-smp\0"), "-smp", 1);
	/* a -name at the end with nothing after it, a garbled -smp */
	parse("qemu-system-x86", RAW("q\0-smp\0lots\0-name"), "", 0);
	/* no trailing NUL, joined value */
	parse("qemu-system-x86", RAW("q\0-name=joined"), "joined", 1);
}

Test(hypervisor, hostile_names_are_kept_as_bytes)
{
	parse("qemu-system-x86", RAW("q\0-name\0guest=../../etc/passwd\0"), "../../etc/passwd", 1);
	parse("qemu-system-x86", RAW("q\0-name\0\x1b[31mred\n\0"), "\x1b[31mred\n", 1);
}

Test(hypervisor, long_names_are_cut)
{
	char argv[1200], got[16];
	unsigned v;

	memset(argv, 0, sizeof(argv));
	strcpy(argv, "q");
	strcpy(argv + 2, "-name");
	memset(argv + 8, 'n', 1000);
	cr_assert_eq(hypervisor__parse(hypervisor__of_comm("qemu-kvm"), argv, 1009, got, sizeof(got),
				       &v), 0);
	cr_expect_str_eq(got, "nnnnnnnnnnnnnnn");
	memset(argv + 8, 'n', 1000);
	argv[1008] = '\0';
	cr_assert_eq(hypervisor__parse(hypervisor__of_comm("firecracker"), argv, 1009, got,
				       sizeof(got), &v), 0);
	cr_expect_str_empty(got);	/* firecracker has no -name */
}

Test(hypervisor, firecracker_and_cloud_hypervisor)
{
	parse("firecracker", RAW("/usr/bin/firecracker\0--api-sock\0/run/fc.sock\0--id\0vm7\0"),
	      "vm7", 0);
	parse("firecracker", RAW("firecracker\0--id=vm8\0--config-file\0/etc/fc.json\0"), "vm8", 0);
	parse("cloud-hyperviso", RAW("cloud-hypervisor\0--kernel\0vmlinux\0--cpus\0boot=4,max=8\0"),
	      "", 4);
	parse("cloud-hyperviso", RAW("cloud-hypervisor\0--memory\0size=1G\0"), "", 1);
}

Test(hypervisor, smp_values)
{
	cr_expect_eq(qemu_smp_vcpus("8"), 8);
	cr_expect_eq(qemu_smp_vcpus("8,maxcpus=16"), 8);
	cr_expect_eq(qemu_smp_vcpus("cpus=2,sockets=1,dies=1,cores=2,threads=1"), 2);
	cr_expect_eq(qemu_smp_vcpus("sockets=2,dies=2,clusters=1,cores=3,threads=1"), 12);
	cr_expect_eq(qemu_smp_vcpus(""), 0);
	cr_expect_eq(qemu_smp_vcpus("0"), 0);
	cr_expect_eq(qemu_smp_vcpus("-1"), 0);
	cr_expect_eq(qemu_smp_vcpus("4x"), 0);
	cr_expect_eq(qemu_smp_vcpus("cores=0"), 0);
	cr_expect_eq(qemu_smp_vcpus("sockets=4096,cores=4096"), 0);
}

Test(hypervisor, bad_arguments_and_names)
{
	char got[8];
	unsigned v;

	cr_expect_eq(hypervisor__parse(NULL, "q", 1, got, sizeof(got), &v), -EINVAL);
	cr_expect_eq(hypervisor__parse(hypervisor__of_comm("kvm"), "q", 1, NULL, 8, &v), -EINVAL);
	cr_expect_eq(hypervisor__parse(hypervisor__of_comm("kvm"), "q", 1, got, 8, NULL), -EINVAL);
	cr_expect_eq(hypervisor__parse(hypervisor__of_comm("kvm"), "", 0, got, 8, &v), 0);
	cr_expect_str_empty(got);
	cr_expect_str_eq(vm_source_name(VM_SOURCE_CGROUP), "cgroup");
	cr_expect_str_eq(vm_source_name(VM_SOURCE_CMDLINE), "cmdline");
	cr_expect_str_eq(vm_source_name(VM_SOURCE_PID), "pid");
	cr_expect_str_eq(vm_source_name(VM_SOURCE_NONE), "");
}
