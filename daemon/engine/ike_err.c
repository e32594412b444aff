/* Names, descriptions and notify mapping of enum ike_err; see ike_err.h. */
#include "engine/ike_err.h"

#include <stddef.h>

struct ike_err_row {
	int err;
	const char *name;
	uint16_t notify;
	const char *text;
};

#define IKE_ERR_ROW_(sym, num, notify, text) { sym, #sym, notify, text },
static const struct ike_err_row ike_err_rows[] = { IKE_ERRORS(IKE_ERR_ROW_) };
#undef IKE_ERR_ROW_

static const struct ike_err_row *ike_err_row(int err)
{
	for (size_t i = 0; i < sizeof(ike_err_rows) / sizeof(ike_err_rows[0]);
	     i++) {
		if (ike_err_rows[i].err == err)
			return &ike_err_rows[i];
	}
	return NULL;
}

const char *ike_err_name(int err)
{
	const struct ike_err_row *row = ike_err_row(err);

	if (err == IKE_OK)
		return "IKE_OK";
	return row ? row->name : "errno";
}

const char *ike_err_str(int err)
{
	const struct ike_err_row *row = ike_err_row(err);

	if (err == IKE_OK)
		return "success";
	return row ? row->text : "system error";
}

uint16_t ike_err_notify(int err)
{
	const struct ike_err_row *row = ike_err_row(err);

	return row ? row->notify : 0;
}
