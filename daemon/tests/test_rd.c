/* Tests for the bounds-checked reader (daemon/engine/rd.c). */
#include "engine/rd.h"
#include "tests/test.h"

static const uint8_t sample[] = {
	0x01,						/* u8  */
	0x02, 0x03,					/* u16 */
	0x04, 0x05, 0x06, 0x07,				/* u32 */
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* u64 */
	0xff,						/* trailing byte */
};

TEST(rd_reads_big_endian)
{
	struct rd r = rd_init(sample, sizeof(sample));

	CHECK_EQ(rd_u8(&r), 0x01);
	CHECK_EQ(rd_u16(&r), 0x0203);
	CHECK_EQ(rd_u32(&r), 0x04050607);
	CHECK(rd_u64(&r) == 0x08090a0b0c0d0e0fULL);
	CHECK_EQ(rd_left(&r), 1);
	CHECK_EQ(rd_u8(&r), 0xff);
	CHECK(rd_end(&r));
}

TEST(rd_high_bit_values_are_unsigned)
{
	static const uint8_t ff[8] = { 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff };
	struct rd r = rd_init(ff, sizeof(ff));

	CHECK_EQ(rd_u16(&r), 0xffff);
	CHECK(rd_u32(&r) == 0xffffffffu);
	CHECK_EQ(rd_u16(&r), 0xffff);
	r = rd_init(ff, sizeof(ff));
	CHECK(rd_u64(&r) == UINT64_MAX);
	CHECK(rd_ok(&r));
}

/* Every width, read from every buffer that is one byte too short: the read
 * returns zero, fails the reader and does not move it. */
TEST(rd_every_read_one_byte_past_the_end_fails)
{
	for (size_t width = 1; width <= 8; width++) {
		if (width != 1 && width != 2 && width != 4 && width != 8)
			continue;
		for (size_t have = 0; have < width; have++) {
			struct rd r = rd_init(sample, have);
			uint64_t v = 0;

			switch (width) {
			case 1: v = rd_u8(&r); break;
			case 2: v = rd_u16(&r); break;
			case 4: v = rd_u32(&r); break;
			case 8: v = rd_u64(&r); break;
			}
			CHECK_EQ(v, 0);
			CHECK(!rd_ok(&r));
			CHECK_EQ(rd_left(&r), 0);
		}
	}
}

TEST(rd_bytes_past_the_end_fails)
{
	for (size_t n = 0; n <= sizeof(sample); n++) {
		struct rd r = rd_init(sample, n);

		CHECK(rd_bytes(&r, n) != NULL || n == 0);
		CHECK(rd_ok(&r));
		r = rd_init(sample, n);
		CHECK(rd_bytes(&r, n + 1) == NULL);
		CHECK(!rd_ok(&r));
	}
}

TEST(rd_errors_are_sticky)
{
	struct rd r = rd_init(sample, 3);

	CHECK_EQ(rd_u32(&r), 0);
	CHECK(!rd_ok(&r));
	/* Enough bytes remain for a u8, but the reader stays failed. */
	CHECK_EQ(rd_u8(&r), 0);
	CHECK_EQ(rd_u16(&r), 0);
	CHECK(rd_bytes(&r, 0) == NULL);
	CHECK(!rd_skip(&r, 0));
	CHECK(!rd_end(&r));
}

TEST(rd_huge_length_does_not_wrap)
{
	struct rd r = rd_init(sample, sizeof(sample));

	rd_u8(&r);
	CHECK(rd_bytes(&r, SIZE_MAX) == NULL);
	CHECK(!rd_ok(&r));
	r = rd_init(sample, sizeof(sample));
	CHECK(!rd_skip(&r, SIZE_MAX - 1));
	struct rd s = rd_sub(&r, (size_t)-1);
	CHECK(!rd_ok(&s));
}

TEST(rd_copy_zeroes_on_short_read)
{
	uint8_t out[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	struct rd r = rd_init(sample, 3);

	CHECK(!rd_copy(&r, out, sizeof(out)));
	static const uint8_t zero[4];
	CHECK_MEM(out, zero, 4);
	r = rd_init(sample, 4);
	CHECK(rd_copy(&r, out, 4));
	CHECK_MEM(out, sample, 4);
}

TEST(rd_sub_reader_must_be_consumed_exactly)
{
	struct rd r = rd_init(sample, sizeof(sample));
	struct rd s;

	rd_u8(&r);
	s = rd_sub(&r, 2);
	CHECK_EQ(rd_left(&r), sizeof(sample) - 3);
	CHECK_EQ(rd_u8(&s), 0x02);
	CHECK(!rd_end(&s)); /* one byte left over */
	CHECK(rd_ok(&r));   /* the parent is unaffected */

	s = rd_sub(&r, 4);
	CHECK(rd_u32(&s) == 0x04050607);
	CHECK(rd_end(&s));

	s = rd_sub(&r, 8);
	CHECK(rd_u64(&s) == 0x08090a0b0c0d0e0fULL);
	CHECK_EQ(rd_u8(&s), 0); /* reading past the sub-reader fails it */
	CHECK(!rd_end(&s));
	CHECK_EQ(rd_u8(&r), 0xff); /* but not its parent */
	CHECK(rd_end(&r));
}

TEST(rd_sub_longer_than_parent_fails_both)
{
	struct rd r = rd_init(sample, 4);
	struct rd s = rd_sub(&r, 5);

	CHECK(!rd_ok(&s));
	CHECK(!rd_ok(&r));
	CHECK_EQ(rd_u8(&s), 0);
}

TEST(rd_rest_takes_everything)
{
	struct rd r = rd_init(sample, sizeof(sample));
	struct rd s;

	rd_skip(&r, 15);
	s = rd_rest(&r);
	CHECK_EQ(rd_left(&s), 1);
	CHECK(rd_end(&r));
	CHECK_EQ(rd_u8(&s), 0xff);
	CHECK(rd_end(&s));
}

TEST(rd_empty_and_null_buffers)
{
	struct rd r = rd_init(NULL, 0);

	CHECK(rd_ok(&r));
	CHECK_EQ(rd_left(&r), 0);
	CHECK(rd_end(&r));
	CHECK_EQ(rd_u8(&r), 0);
	CHECK(!rd_ok(&r));

	r = rd_init(NULL, 5);
	CHECK(!rd_ok(&r));
	CHECK_EQ(rd_left(&r), 0);
}

TEST(rd_fail_marks_semantic_errors)
{
	struct rd r = rd_init(sample, sizeof(sample));

	rd_fail(&r);
	CHECK(!rd_ok(&r));
	CHECK_EQ(rd_u8(&r), 0);
}
