/* Tests for the bounds-checked writer (daemon/engine/wr.c). */
#include "engine/rd.h"
#include "engine/wr.h"
#include "tests/test.h"

TEST(wr_writes_big_endian)
{
	uint8_t buf[16];
	static const uint8_t want[] = {
		0x01,						/* u8  */
		0x02, 0x03,					/* u16 */
		0x04, 0x05, 0x06, 0x07,				/* u32 */
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* u64 */
		0xff,						/* bytes */
	};
	struct wr w = wr_init(buf, sizeof(buf));

	wr_u8(&w, 0x01);
	wr_u16(&w, 0x0203);
	wr_u32(&w, 0x04050607);
	wr_u64(&w, 0x08090a0b0c0d0e0fULL);
	wr_bytes(&w, "\xff", 1);
	REQUIRE(wr_ok(&w));
	CHECK_EQ(wr_len(&w), sizeof(want));
	CHECK_MEM(buf, want, sizeof(want));
}

/* Each width written into every buffer one byte too small: nothing is
 * written, the writer fails and stays failed. */
TEST(wr_every_write_one_byte_past_the_end_fails)
{
	static const size_t widths[] = { 1, 2, 4, 8 };

	for (size_t i = 0; i < 4; i++) {
		size_t width = widths[i];
		for (size_t cap = 0; cap < width; cap++) {
			uint8_t buf[8] = { 0 };
			struct wr w = wr_init(buf, cap);
			bool ok = false;

			switch (width) {
			case 1: ok = wr_u8(&w, 0xee); break;
			case 2: ok = wr_u16(&w, 0xeeee); break;
			case 4: ok = wr_u32(&w, 0xeeeeeeee); break;
			case 8: ok = wr_u64(&w, ~0ULL); break;
			}
			CHECK(!ok);
			CHECK(!wr_ok(&w));
			CHECK_EQ(wr_len(&w), 0);
			CHECK_EQ(buf[0], 0);
		}
	}
}

TEST(wr_overflow_is_sticky)
{
	uint8_t buf[3];
	struct wr w = wr_init(buf, sizeof(buf));

	CHECK(!wr_u32(&w, 1));
	CHECK(!wr_u8(&w, 1)); /* would fit, but the writer has failed */
	CHECK_EQ(wr_len(&w), 0);
	CHECK(!wr_ok(&w));
}

TEST(wr_bytes_and_zero_bounds)
{
	uint8_t buf[4];
	struct wr w = wr_init(buf, sizeof(buf));

	CHECK(wr_bytes(&w, "ab", 2));
	CHECK(wr_zero(&w, 2));
	CHECK(!wr_zero(&w, 1));
	CHECK(!wr_ok(&w));
	w = wr_init(buf, sizeof(buf));
	CHECK(!wr_bytes(&w, "abcde", SIZE_MAX));
	CHECK_EQ(wr_len(&w), 0);
}

TEST(wr_reserved_lengths_are_filled_at_the_end)
{
	uint8_t buf[32];
	struct wr w = wr_init(buf, sizeof(buf));
	size_t outer_start = wr_len(&w);
	size_t outer = wr_reserve_u16(&w);
	size_t inner_start = wr_len(&w);
	size_t inner = wr_reserve_u32(&w);

	wr_bytes(&w, "payload", 7);
	REQUIRE(wr_fill_len_u32(&w, inner, inner_start));
	REQUIRE(wr_fill_len_u16(&w, outer, outer_start));
	REQUIRE(wr_ok(&w));

	struct rd r = rd_init(buf, wr_len(&w));
	CHECK_EQ(rd_u16(&r), 13);
	CHECK_EQ(rd_u32(&r), 11);
	CHECK_EQ(rd_left(&r), 7);
}

TEST(wr_fill_len_rejects_unreserved_offsets)
{
	uint8_t buf[8];
	struct wr w = wr_init(buf, sizeof(buf));

	wr_u8(&w, 0);
	CHECK(!wr_fill_len_u16(&w, 0, 0)); /* field would end past len */
	CHECK(!wr_ok(&w));

	w = wr_init(buf, sizeof(buf));
	size_t at = wr_reserve_u32(&w);
	CHECK(!wr_fill_len_u32(&w, at, 5)); /* from is past the end */
	CHECK(!wr_ok(&w));
}

TEST(wr_fill_len_u16_limit)
{
	static uint8_t big[70000];
	struct wr w = wr_init(big, sizeof(big));
	size_t at = wr_reserve_u16(&w);

	wr_zero(&w, 65533); /* 65535 bytes in all: the largest that fits */
	CHECK(wr_fill_len_u16(&w, at, 0));
	CHECK_EQ(big[0], 0xff);
	CHECK_EQ(big[1], 0xff);
	wr_u8(&w, 0); /* 65536: one too many */
	CHECK(!wr_fill_len_u16(&w, at, 0));
	CHECK(!wr_ok(&w));
}

TEST(wr_patch_u8_only_inside_written_bytes)
{
	uint8_t buf[4];
	struct wr w = wr_init(buf, sizeof(buf));

	wr_u16(&w, 0);
	CHECK(wr_patch_u8(&w, 1, 0x2a));
	CHECK_EQ(buf[1], 0x2a);
	CHECK(!wr_patch_u8(&w, 2, 0x2a));
	CHECK(!wr_ok(&w));
}

TEST(wr_space_returns_room_to_fill)
{
	uint8_t buf[4];
	struct wr w = wr_init(buf, sizeof(buf));
	uint8_t *p = wr_space(&w, 4);

	REQUIRE(p == buf);
	CHECK(wr_space(&w, 1) == NULL);
	w = wr_init(NULL, 0);
	CHECK(wr_ok(&w));
	CHECK(!wr_u8(&w, 0));
}
