// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Published SPECpower_ssj2008 results: average active power (W) of whole
 * servers at active idle and at 10%, 20%, ..., 100% of their top
 * throughput, as the results' summaries give them. They are the family the
 * package prior is made of (energy/curve_prior.h), chosen to span the shapes
 * servers have had: near-straight with a high idle (2008), rising faster at
 * high load (2009-2012), a step from idle to 10% then straight or bending
 * upwards (2016-2021). docs/power-curves.md cites each and says where the
 * figures were copied from.
 */
#include "energy/curve_prior.h"

const struct power_shape specpower_results[] = {
	{ "Fujitsu Siemens Computers PRIMERGY RX300 S4 (Xeon E5440)", 2008,
	  "res2008q1/power_ssj2008-20080116-00034.html",
	  { 166, 179, 191, 200, 212, 224, 235, 245, 252, 259, 265 } },
	{ "Supermicro 6025B-TR (Xeon 5160)", 2008,
	  "res2008q1/power_ssj2008-20080115-00030.html",
	  { 216, 221, 227, 235, 245, 258, 270, 282, 294, 307, 315 } },
	{ "IBM System x3250 (Xeon X3470)", 2009,
	  "res2009q4/power_ssj2008-20091104-00213.html",
	  { 41.6, 46.7, 52.3, 57.9, 65.4, 73, 80.7, 89.5, 99.6, 105, 113 } },
	{ "IBM System x3550 (Xeon X5670)", 2010,
	  "res2010q2/power_ssj2008-20100315-00239.html",
	  { 66, 107, 120, 131, 143, 156, 173, 191, 211, 229, 247 } },
	{ "HP ProLiant ML110 G5 (Xeon 3075)", 2011,
	  "res2011q1/power_ssj2008-20110124-00339.html",
	  { 93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135 } },
	{ "Dell PowerEdge R620 (Xeon E5-2670)", 2012,
	  "res2012q1/power_ssj2008-20120306-00434.html",
	  { 54.1, 78.4, 88.5, 99.5, 115, 126, 143, 165, 196, 226, 243 } },
	{ "Dell PowerEdge R830 (Xeon E5-4669)", 2016,
	  "res2016q3/power_ssj2008-20160705-00737.html",
	  { 86.4, 181, 215, 253, 287, 315, 340, 377, 421, 483, 562 } },
	{ "Dell PowerEdge R640", 2017,
	  "res2017q3/power_ssj2008-20170829-00781.html",
	  { 55, 125, 151, 176, 202, 232, 261, 301, 357, 421, 469 } },
	{ "Dell PowerEdge R740 (Xeon Platinum 8280)", 2019,
	  "res2019q2/power_ssj2008-20190409-00952.html",
	  { 49.8, 114, 137, 159, 182, 208, 240, 277, 319, 376, 432 } },
	{ "Dell PowerEdge R240 (Xeon E-2176G)", 2019,
	  "res2019q3/power_ssj2008-20190702-00979.html",
	  { 20, 25.1, 28.5, 32.3, 36.6, 41.7, 47.5, 55.9, 67.2, 81, 93.1 } },
	{ "Dell PowerEdge R6515 (EPYC 7702P)", 2020,
	  "res2020q3/power_ssj2008-20200728-01041.html",
	  { 54, 123, 139, 150, 161, 169, 181, 194, 207, 218, 231 } },
	{ "Hewlett Packard Enterprise ProLiant DL345 Gen10 Plus (EPYC 7763)", 2021,
	  "res2021q1/power_ssj2008-20210221-01065.html",
	  { 58, 104, 120, 134, 150, 169, 197, 217, 236, 255, 272 } },
};

const int specpower_nr_results = sizeof(specpower_results) / sizeof(specpower_results[0]);
