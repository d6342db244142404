// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Energy attribution and share rounding (the idle baseline's estimator is in
 * test_baseline.c). Every expected value is worked out by hand in a comment, or (for the
 * random cases) checked against the exact rational share with 128-bit
 * integers, never by calling the code under test.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "energy/attribution.h"
#include "helpers.h"

#define NP 8

static struct proc pr[NP];
static __u64 pr_socks[NP][2 * WP_MAX_SOCKETS];	/* their per-socket figures */
static struct proc *pp[NP];

static void attr_setup(void)
{
	memset(pr, 0, sizeof(pr));
	for (int i = 0; i < NP; i++) {
		figures__attach(&pr[i].iv, pr_socks[i], WP_MAX_SOCKETS);
		pr[i].tgid = 100 + i;
		pp[i] = &pr[i];
	}
}

TestSuite(attribution, .init = attr_setup);

static struct attr_socket pkg(__u64 pkg_uj, __u64 base_uj)
{
	return (struct attr_socket){ .have_pkg = true, .pkg_uj = pkg_uj, .idle_base_uj = base_uj };
}

Test(attribution, one_socket_3_to_1_no_baseline)
{
	struct attr_socket s = pkg(1000, 0);

	pr[0].iv.sock_ns[0] = 300;
	pr[1].iv.sock_ns[0] = 100;
	attribute(&s, 1, pp, 2, false);
	/* busy 400 ns; 1000 uJ * 300/400 = 750, * 100/400 = 250 */
	cr_assert_eq(s.busy_ns, 400);
	cr_assert_eq(pr[0].iv.uj, 750);
	cr_assert_eq(pr[1].iv.uj, 250);
	cr_assert_eq(pr[0].iv.sock_uj[0], 750);
	cr_assert_eq(pr[1].iv.sock_uj[0], 250);
	cr_assert_eq(s.idle_uj, 0);
	cr_assert_eq(s.procs_uj, 1000);
	cr_assert(!pr[0].iv.uj_missing && !pr[1].iv.uj_missing);
}

Test(attribution, one_socket_3_to_1_with_baseline)
{
	struct attr_socket s = pkg(1000, 200);

	pr[0].iv.sock_ns[0] = 300;
	pr[1].iv.sock_ns[0] = 100;
	attribute(&s, 1, pp, 2, false);
	/* idle keeps the 200 baseline; 800 dynamic: 600 and 200 */
	cr_assert_eq(s.idle_uj, 200);
	cr_assert_eq(pr[0].iv.uj, 600);
	cr_assert_eq(pr[1].iv.uj, 200);
	cr_assert_eq(s.procs_uj, 800);
}

Test(attribution, spread_idle_gives_the_baseline_to_processes)
{
	struct attr_socket s = pkg(1000, 200);

	pr[0].iv.sock_ns[0] = 300;
	pr[1].iv.sock_ns[0] = 100;
	attribute(&s, 1, pp, 2, true);
	/* all 1000 split 3:1 */
	cr_assert_eq(s.idle_uj, 0);
	cr_assert_eq(pr[0].iv.uj, 750);
	cr_assert_eq(pr[1].iv.uj, 250);
	cr_assert_eq(s.procs_uj, 1000);
}

Test(attribution, cumulative_rounding_thirds)
{
	struct attr_socket s = pkg(1000, 0);

	pr[0].iv.sock_ns[0] = 10;
	pr[1].iv.sock_ns[0] = 10;
	pr[2].iv.sock_ns[0] = 10;
	attribute(&s, 1, pp, 3, false);
	/* floor(1000*10/30) = 333; floor(1000*20/30) = 666 -> 333; 1000 - 666 = 334 */
	cr_assert_eq(pr[0].iv.uj, 333);
	cr_assert_eq(pr[1].iv.uj, 333);
	cr_assert_eq(pr[2].iv.uj, 334);
}

Test(attribution, two_sockets_and_a_process_on_both)
{
	struct attr_socket s[2] = { pkg(1000, 0), pkg(600, 0) };

	pr[0].iv.sock_ns[0] = 100;	/* A: socket 0 only */
	pr[1].iv.sock_ns[0] = 300;	/* B: both sockets */
	pr[1].iv.sock_ns[1] = 200;
	pr[2].iv.sock_ns[1] = 400;	/* C: socket 1 only */
	attribute(s, 2, pp, 3, false);
	/* socket 0: busy 400; A 1000*100/400 = 250, B 1000*300/400 = 750
	 * socket 1: busy 600; B 600*200/600 = 200, C 600*400/600 = 400 */
	cr_assert_eq(s[0].busy_ns, 400);
	cr_assert_eq(s[1].busy_ns, 600);
	cr_assert_eq(pr[0].iv.uj, 250);
	cr_assert_eq(pr[1].iv.sock_uj[0], 750);
	cr_assert_eq(pr[1].iv.sock_uj[1], 200);
	cr_assert_eq(pr[1].iv.uj, 950);		/* 750 + 200 */
	cr_assert_eq(pr[2].iv.uj, 400);
	cr_assert_eq(pr[0].iv.sock_uj[1], 0);
	cr_assert_eq(s[0].procs_uj, 1000);
	cr_assert_eq(s[1].procs_uj, 600);
}

Test(attribution, socket_without_busy_time_goes_to_idle)
{
	struct attr_socket s[2] = { pkg(1000, 100), pkg(500, 100) };

	s[1].have_dram = true;
	s[1].dram_uj = 70;
	pr[0].iv.sock_ns[0] = 50;	/* nothing ran on socket 1 */
	attribute(s, 2, pp, 1, false);
	/* socket 1: package 500 + DRAM 70 = 570, all idle */
	cr_assert_eq(s[1].busy_ns, 0);
	cr_assert_eq(s[1].idle_uj, 570);
	cr_assert_eq(s[1].procs_uj, 0);
	/* socket 0 as usual: baseline 100, 900 to the only process */
	cr_assert_eq(s[0].idle_uj, 100);
	cr_assert_eq(pr[0].iv.uj, 900);
}

Test(attribution, socket_without_energy_marks_its_processes)
{
	struct attr_socket s[2] = { pkg(1000, 0), { .have_pkg = false, .pkg_uj = 12345 } };

	pr[0].iv.sock_ns[0] = 100;	/* socket 0 only */
	pr[1].iv.sock_ns[0] = 100;	/* both */
	pr[1].iv.sock_ns[1] = 100;
	pr[2].iv.sock_ns[1] = 100;	/* socket 1 only */
	attribute(s, 2, pp, 3, false);
	/* socket 0: 1000 split 1:1 -> 500 each */
	cr_assert_eq(pr[0].iv.uj, 500);
	cr_assert(!pr[0].iv.uj_missing);
	cr_assert_eq(pr[1].iv.uj, 500);
	cr_assert(pr[1].iv.uj_missing, "ran on the unmeasured socket too");
	cr_assert_eq(pr[2].iv.uj, 0);
	cr_assert(pr[2].iv.uj_missing);
	/* nothing invented for socket 1 */
	cr_assert_eq(s[1].idle_uj, 0);
	cr_assert_eq(s[1].procs_uj, 0);
	cr_assert_eq(s[1].busy_ns, 200);
	cr_assert_eq(pr[1].iv.sock_uj[1], 0);
}

Test(attribution, dram_added_to_the_pool)
{
	struct attr_socket s = pkg(1000, 100);

	s.have_dram = true;
	s.dram_uj = 200;
	pr[0].iv.sock_ns[0] = 1;
	pr[1].iv.sock_ns[0] = 1;
	attribute(&s, 1, pp, 2, false);
	/* pool 1000 + 200 - 100 baseline = 1100; 550 each */
	cr_assert_eq(s.idle_uj, 100);
	cr_assert_eq(pr[0].iv.uj, 550);
	cr_assert_eq(pr[1].iv.uj, 550);

	/* DRAM not measured: its stale value is ignored; 900 -> 450 each */
	s.have_dram = false;
	attribute(&s, 1, pp, 2, false);
	cr_assert_eq(pr[0].iv.uj, 450);
	cr_assert_eq(pr[1].iv.uj, 450);
	cr_assert_eq(s.procs_uj + s.idle_uj, 1000);
}

Test(attribution, dram_baseline_goes_to_idle)
{
	struct attr_socket s = pkg(1000, 100);

	s.have_dram = true;
	s.dram_uj = 200;
	s.dram_base_uj = 150;
	pr[0].iv.sock_ns[0] = 3;
	pr[1].iv.sock_ns[0] = 1;
	attribute(&s, 1, pp, 2, false);
	/* idle 100 + 150 = 250; the pool 1000 + 200 - 250 = 950: 712 (floor 712.5) and 238 */
	cr_assert_eq(s.idle_uj, 250);
	cr_assert_eq(s.idle_pkg_uj, 100);
	cr_assert_eq(s.idle_dram_uj, 150);
	cr_assert_eq(pr[0].iv.uj, 712);
	cr_assert_eq(pr[1].iv.uj, 238);
	cr_assert_eq(s.procs_uj + s.idle_uj, 1200);

	/* a DRAM baseline above the DRAM energy is capped at it: idle 100 + 200 */
	s.dram_base_uj = 999;
	attribute(&s, 1, pp, 2, false);
	cr_assert_eq(s.idle_uj, 300);
	cr_assert_eq(pr[0].iv.uj + pr[1].iv.uj, 900);

	/* DRAM not measured this interval: its baseline does not count either */
	s.have_dram = false;
	attribute(&s, 1, pp, 2, false);
	cr_assert_eq(s.idle_uj, 100);
	cr_assert_eq(pr[0].iv.uj, 675);
	cr_assert_eq(pr[1].iv.uj, 225);
}

Test(attribution, baseline_above_package_is_capped)
{
	struct attr_socket s = pkg(300, 500);

	s.have_dram = true;
	s.dram_uj = 100;
	pr[0].iv.sock_ns[0] = 3;
	pr[1].iv.sock_ns[0] = 1;
	attribute(&s, 1, pp, 2, false);
	/* baseline capped at the package's 300; the pool left is DRAM's 100: 75 + 25 */
	cr_assert_eq(s.idle_uj, 300);
	cr_assert_eq(pr[0].iv.uj, 75);
	cr_assert_eq(pr[1].iv.uj, 25);
	cr_assert_eq(s.procs_uj + s.idle_uj, 400);
}

Test(attribution, a_second_interval_starts_from_zero)
{
	struct attr_socket s = pkg(1000, 0);

	pr[0].iv.sock_ns[0] = 300;
	pr[1].iv.sock_ns[0] = 100;
	attribute(&s, 1, pp, 2, false);
	/* next interval: only pr[1] ran, 400 uJ; nothing of the last one left over */
	pr[0].iv.sock_ns[0] = 0;
	s = pkg(400, 0);
	pr[0].iv.uj_missing = true;
	attribute(&s, 1, pp, 2, false);
	cr_assert_eq(pr[0].iv.uj, 0);
	cr_assert_eq(pr[0].iv.sock_uj[0], 0);
	cr_assert(!pr[0].iv.uj_missing);
	cr_assert_eq(pr[1].iv.uj, 400);
}

Test(attribution, more_sockets_than_supported_are_ignored)
{
	struct attr_socket s[WP_MAX_SOCKETS + 1];

	for (int i = 0; i <= WP_MAX_SOCKETS; i++)
		s[i] = pkg(100, 0);
	pr[0].iv.sock_ns[WP_MAX_SOCKETS - 1] = 5;
	/* s[WP_MAX_SOCKETS] is never touched: its out fields keep a marker */
	s[WP_MAX_SOCKETS].idle_uj = 4242;
	attribute(s, WP_MAX_SOCKETS + 1, pp, 1, false);
	cr_assert_eq(pr[0].iv.uj, 100);
	cr_assert_eq(s[WP_MAX_SOCKETS].idle_uj, 4242);
}

/* xorshift64*, fixed seed: reproducible "random" cases */
static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

Test(attribution, conservation_and_exact_shares_random)
{
	for (int round = 0; round < 5000; round++) {
		struct attr_socket s[3];
		int nsock = 1 + rnd() % 3;
		__u32 n = 1 + rnd() % NP;
		bool spread = rnd() & 1;

		attr_setup();
		for (int k = 0; k < nsock; k++) {
			/* up to ~1000 s at 1 kW, so that the product overflows 64 bits */
			s[k] = pkg(rnd() % 1000000000000ULL, 0);
			s[k].idle_base_uj = rnd() % 4 ? rnd() % (s[k].pkg_uj + 2) : rnd();
			s[k].have_dram = rnd() & 1;
			s[k].dram_uj = rnd() % 100000000000ULL;
			s[k].dram_base_uj = rnd() % 3 ? rnd() % (s[k].dram_uj + 2) : rnd();
			for (__u32 i = 0; i < n; i++)
				pr[i].iv.sock_ns[k] = rnd() % 3 ? rnd() % 100000000000000ULL : 0;
		}
		attribute(s, nsock, pp, n, spread);

		for (int k = 0; k < nsock; k++) {
			__u64 dram = s[k].have_dram ? s[k].dram_uj : 0, busy = 0, sum = 0, base;
			__u64 pool;

			for (__u32 i = 0; i < n; i++) {
				busy += pr[i].iv.sock_ns[k];
				sum += pr[i].iv.sock_uj[k];
			}
			/* everything measured goes somewhere, to the microjoule */
			cr_assert_eq(sum + s[k].idle_uj, s[k].pkg_uj + dram, "round %d sock %d", round,
				     k);
			cr_assert_eq(sum, s[k].procs_uj);
			cr_assert_eq(busy, s[k].busy_ns);
			/* idle by domain: the package's and DRAM's, each within its energy */
			cr_assert_eq(s[k].idle_pkg_uj + s[k].idle_dram_uj, s[k].idle_uj);
			cr_assert_leq(s[k].idle_pkg_uj, s[k].pkg_uj);
			cr_assert_leq(s[k].idle_dram_uj, dram);
			if (!busy) {
				cr_assert_eq(s[k].idle_uj, s[k].pkg_uj + dram);
				continue;
			}
			base = s[k].idle_base_uj < s[k].pkg_uj ? s[k].idle_base_uj : s[k].pkg_uj;
			if (s[k].have_dram)
				base += s[k].dram_base_uj < dram ? s[k].dram_base_uj : dram;
			cr_assert_eq(s[k].idle_uj, spread ? 0 : base);
			pool = s[k].pkg_uj + dram - (spread ? 0 : base);
			/* each share within 1 uJ of pool * ns / busy:
			 * |got * busy - pool * ns| < busy */
			for (__u32 i = 0; i < n; i++) {
				__int128 exact = (__int128)pool * pr[i].iv.sock_ns[k];
				__int128 mine = (__int128)pr[i].iv.sock_uj[k] * busy;
				__int128 diff = mine > exact ? mine - exact : exact - mine;

				cr_assert(diff < (__int128)busy, "round %d sock %d proc %u", round, k, i);
			}
		}
		for (__u32 i = 0; i < n; i++) {
			__u64 total = 0;

			for (int k = 0; k < nsock; k++)
				total += pr[i].iv.sock_uj[k];
			cr_assert_eq(pr[i].iv.uj, total);
		}
	}
}

Test(attribution, share_uj_hand_cases)
{
	/* 10 over thirds: floor(10/3) = 3; floor(20/3) - 3 = 3; 10 - 6 = 4 */
	cr_assert_eq(share_uj(10, 0, 1, 3), 3);
	cr_assert_eq(share_uj(10, 1, 1, 3), 3);
	cr_assert_eq(share_uj(10, 2, 1, 3), 4);
	cr_assert_eq(share_uj(10, 0, 3, 3), 10);
	cr_assert_eq(share_uj(10, 0, 0, 3), 0);
	cr_assert_eq(share_uj(0, 0, 1, 3), 0);
	cr_assert_eq(share_uj(10, 0, 1, 0), 0, "no whole: nothing to share");
}

Test(attribution, share_uj_beyond_64_bit_products)
{
	/* 10^18 * 3*10^17 = 3*10^35 overflows 64 bits; the share is 3*10^17 */
	cr_assert_eq(share_uj(1000000000000000000ULL, 0, 300000000000000000ULL,
			      1000000000000000000ULL),
		     300000000000000000ULL);
	/* total = whole = 2^64 - 1: the share is the part itself, 2^63 */
	cr_assert_eq(share_uj(UINT64_MAX, 0, 1ULL << 63, UINT64_MAX), 1ULL << 63);
	/* before 2^62, part 2^62 of UINT64_MAX: (2^63 - 2^62) = 2^62 */
	cr_assert_eq(share_uj(UINT64_MAX, 1ULL << 62, 1ULL << 62, UINT64_MAX), 1ULL << 62);
	/* 2^40 uJ over 2^50 ns, a quarter: 2^38 (2^40 * 2^48 = 2^88 overflows) */
	cr_assert_eq(share_uj(1ULL << 40, 1ULL << 48, 1ULL << 48, 1ULL << 50), 1ULL << 38);
	/* 7 * 10^12 uJ shared 1:2 over 3 * 10^15 ns: floor(7e12 / 3) = 2333333333333 */
	cr_assert_eq(share_uj(7000000000000ULL, 0, 1000000000000000ULL, 3000000000000000ULL),
		     2333333333333ULL);
	/* the rest: 7e12 - 2333333333333 = 4666666666667 */
	cr_assert_eq(share_uj(7000000000000ULL, 1000000000000000ULL, 2000000000000000ULL,
			      3000000000000000ULL),
		     4666666666667ULL);
}
