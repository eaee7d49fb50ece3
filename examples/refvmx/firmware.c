/* SPDX-License-Identifier: MIT */
#include "firmware.h"

#include "console.h"
#include "mem.h"

bool firmware_mailbox;

static uint8_t *gpa(uint32_t a)
{
	return (uint8_t *)(mem.guest_base + a);
}

static void put8(uint32_t a, uint8_t v)
{
	*gpa(a) = v;
}

static void put16(uint32_t a, uint16_t v)
{
	put8(a, (uint8_t)v);
	put8(a + 1, (uint8_t)(v >> 8));
}

static void put32(uint32_t a, uint32_t v)
{
	put16(a, (uint16_t)v);
	put16(a + 2, (uint16_t)(v >> 16));
}

static void put64(uint32_t a, uint64_t v)
{
	put32(a, (uint32_t)v);
	put32(a + 4, (uint32_t)(v >> 32));
}

static void put_bytes(uint32_t a, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put8(a + i, (uint8_t)s[i]);
}

/* The byte that makes [a, a + len) sum to zero, stored at a + at. */
static void checksum(uint32_t a, uint32_t len, uint32_t at)
{
	uint8_t sum = 0;
	put8(a + at, 0);
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + *gpa(a + i));
	put8(a + at, (uint8_t)-sum);
}

/* The 36-byte header every system description table starts with
 * (ACPI 6.4, 5.2.6); its checksum once the table is complete. */
#define SDT_HEADER 36

static void sdt_header(uint32_t a, const char *sig, uint8_t revision)
{
	put_bytes(a, sig, 4);
	put8(a + 8, revision);
	put_bytes(a + 10, "REFVMX", 6);
	put_bytes(a + 16, "REFVMXPL", 8);
	put32(a + 24, 1);	      /* OEM revision */
	put_bytes(a + 28, "RVMX", 4); /* creator ID */
	put32(a + 32, 1);	      /* creator revision */
}

static void sdt_finish(uint32_t a, uint32_t len)
{
	put32(a + 4, len);
	checksum(a, len, 9);
}

/* Table addresses in the firmware area. */
#define XSDT 0xe0040u
#define RSDT 0xe0080u
#define MADT 0xe0100u
#define FADT 0xe0400u
#define FACS 0xe0600u /* 64-byte aligned */
#define DSDT 0xe0700u

/* AML of the DSDT's body: Name (_S5, Package (4) { 5, 5, 0, 0 }) —
 * NameOp, the name, PackageOp, PkgLength 8, 4 elements: BytePrefix 5
 * twice, ZeroOp twice (ACPI 6.4, 20.2.5.1 and 20.2.5.4). */
static const uint8_t dsdt_aml[] = { 0x08, '_',	'S',  '5',  '_',  0x12, 0x08,
				    0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };

static uint32_t build_madt(unsigned nr_vcpus)
{
	uint32_t a = MADT, p = MADT + SDT_HEADER;
	sdt_header(a, "APIC", 5);
	put32(p, LAPIC_BASE);
	put32(p + 4, 1); /* PCAT_COMPAT: 8259s present (masked) */
	p += 8;
	for (unsigned i = 0; i < nr_vcpus; i++) {
		/* Processor Local APIC: UID, APIC ID, enabled */
		put8(p, 0);
		put8(p + 1, 8);
		put8(p + 2, (uint8_t)i);
		put8(p + 3, (uint8_t)i);
		put32(p + 4, 1);
		p += 8;
	}
	/* I/O APIC: its ID after the vCPUs', GSIs from 0 */
	put8(p, 1);
	put8(p + 1, 12);
	put8(p + 2, (uint8_t)nr_vcpus);
	put8(p + 3, 0);
	put32(p + 4, IOAPIC_BASE);
	put32(p + 8, 0);
	p += 12;
	/* Interrupt source overrides: ISA IRQ 0 on GSI 2 (conforming);
	 * the SCI level-triggered, active high. */
	static const struct {
		uint8_t irq;
		uint32_t gsi;
		uint16_t flags;
	} iso[] = { { 0, 2, 0 }, { SCI_IRQ, SCI_IRQ, 0xd } };
	for (unsigned i = 0; i < 2; i++) {
		put8(p, 2);
		put8(p + 1, 10);
		put8(p + 2, 0); /* ISA */
		put8(p + 3, iso[i].irq);
		put32(p + 4, iso[i].gsi);
		put16(p + 8, iso[i].flags);
		p += 10;
	}
	/* Local APIC NMI: LINT1 of every processor */
	put8(p, 4);
	put8(p + 1, 6);
	put8(p + 2, 0xff);
	put16(p + 3, 0);
	put8(p + 5, 1);
	p += 6;
	if (firmware_mailbox) {
		/* Multiprocessor Wakeup: mailbox version 0 */
		put8(p, 0x10);
		put8(p + 1, 16);
		put16(p + 2, 0);
		put32(p + 4, 0);
		put64(p + 8, FW_MAILBOX);
		p += 16;
	}
	sdt_finish(a, p - a);
	return a;
}

static void build_fadt(void)
{
	uint32_t a = FADT;
	sdt_header(a, "FACP", 6);
	put32(a + 36, FACS);
	put32(a + 40, DSDT);
	put16(a + 46, SCI_IRQ);
	put32(a + 48, 0); /* no SMI command port: always in ACPI mode */
	put32(a + 56, PM1A_EVT_PORT);
	put32(a + 64, PM1A_CNT_PORT);
	put32(a + 76, PM_TMR_PORT);
	put8(a + 88, 4);     /* PM1_EVT_LEN */
	put8(a + 89, 2);     /* PM1_CNT_LEN */
	put8(a + 91, 4);     /* PM_TMR_LEN */
	put16(a + 96, 101);  /* no C2 */
	put16(a + 98, 1001); /* no C3 */
	/* IAPC_BOOT_ARCH: legacy devices; no 8042, no VGA, no MSI, no
	 * ASPM control, no CMOS RTC. */
	put16(a + 109, 0x1 | 0x4 | 0x8 | 0x10 | 0x20);
	/* Flags: WBINVD works, C1 supported, no power or sleep button,
	 * no RTC wake status, 24-bit PM timer. */
	put32(a + 112, 0x1 | 0x4 | 0x10 | 0x20 | 0x40);
	put8(a + 131, 4); /* FADT minor version: ACPI 6.4 */
	sdt_finish(a, 276);
}

static void build_facs(void)
{
	put_bytes(FACS, "FACS", 4);
	put32(FACS + 4, 64);
	put8(FACS + 32, 2); /* version */
}

static void build_dsdt(void)
{
	sdt_header(DSDT, "DSDT", 2);
	for (unsigned i = 0; i < sizeof(dsdt_aml); i++)
		put8(DSDT + SDT_HEADER + i, dsdt_aml[i]);
	sdt_finish(DSDT, SDT_HEADER + sizeof(dsdt_aml));
}

static void build_roots(void)
{
	const uint32_t tables[] = { FADT, MADT };
	sdt_header(XSDT, "XSDT", 1);
	sdt_header(RSDT, "RSDT", 1);
	for (unsigned i = 0; i < 2; i++) {
		put64(XSDT + SDT_HEADER + 8 * i, tables[i]);
		put32(RSDT + SDT_HEADER + 4 * i, tables[i]);
	}
	sdt_finish(XSDT, SDT_HEADER + 16);
	sdt_finish(RSDT, SDT_HEADER + 8);
	/* RSDP revision 2: its first 20 bytes and all 36 checksummed */
	put_bytes(FW_RSDP, "RSD PTR ", 8);
	put_bytes(FW_RSDP + 9, "REFVMX", 6);
	put8(FW_RSDP + 15, 2);
	put32(FW_RSDP + 16, RSDT);
	put32(FW_RSDP + 20, 36);
	put64(FW_RSDP + 24, XSDT);
	checksum(FW_RSDP, 20, 8);
	checksum(FW_RSDP, 36, 32);
}

/* The page tables and GDT an AP woken through the mailbox starts on:
 * IA-32e mode, paging on, the first 4 GiB identity-mapped (the
 * execution environment of ACPI 6.4's wakeup vector). */
static void build_ap_state(void)
{
	uint32_t pml4 = FW_AP_PML4, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
	const uint64_t present_rw = 0x3, large = 0x80;
	put64(pml4, pdpt | present_rw);
	for (unsigned g = 0; g < 4; g++) {
		put64(pdpt + 8 * g, (pd + 0x1000 * g) | present_rw);
		for (unsigned i = 0; i < 512; i++)
			put64(pd + 0x1000 * g + 8 * i,
			      ((uint64_t)g << 30 | (uint64_t)i << 21) |
				      present_rw | large);
	}
	put64(FW_AP_GDT, 0);
	put64(FW_AP_GDT + FW_AP_CODE_SEL, 0x00af9b000000ffffull);
	put64(FW_AP_GDT + FW_AP_DATA_SEL, 0x00cf93000000ffffull);
}

void firmware_build(unsigned nr_vcpus)
{
	for (uint32_t a = FW_BASE; a < FW_START_INFO; a += 8)
		put64(a, 0);
	firmware_mailbox = nr_vcpus > 1;
	build_facs();
	build_dsdt();
	build_fadt();
	build_madt(nr_vcpus);
	build_roots();
	build_ap_state();
	kprintf("refvmx: ACPI tables at gpa 0x%x (MADT: %u vCPU(s), I/O APIC "
		"at 0x%x%s)\n",
		FW_RSDP, nr_vcpus, IOAPIC_BASE,
		firmware_mailbox ? ", wakeup mailbox at 0xe1000" : "");
}

/* The mailbox (ACPI 6.4, table 5.44): command (16 bits: 0 no-op, 1
 * wakeup), reserved, APIC ID (32), wakeup vector (64). */
const volatile void *firmware_mailbox_command(void)
{
	return gpa(FW_MAILBOX);
}

bool firmware_mailbox_pending(unsigned index)
{
	return firmware_mailbox &&
	       __atomic_load_n((volatile uint16_t *)gpa(FW_MAILBOX),
			       __ATOMIC_ACQUIRE) == 1 &&
	       *(volatile uint32_t *)gpa(FW_MAILBOX + 4) == index;
}

bool firmware_mailbox_poll(unsigned index, uint64_t *vector)
{
	volatile uint16_t *command = (volatile uint16_t *)gpa(FW_MAILBOX);
	if (!firmware_mailbox ||
	    __atomic_load_n(command, __ATOMIC_ACQUIRE) != 1 ||
	    *(volatile uint32_t *)gpa(FW_MAILBOX + 4) != index)
		return false;
	*vector = *(volatile uint64_t *)gpa(FW_MAILBOX + 8);
	__atomic_store_n(command, 0, __ATOMIC_RELEASE);
	return true;
}
