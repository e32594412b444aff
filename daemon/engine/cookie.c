/* Stateless cookies against IKE_SA_INIT floods (RFC 7296 §2.6):
 * Cookie = <VersionIDofSecret> | prf(<secret>, Ni | IPi | SPIi), with the
 * secret replaced every cookie_rotate_ms and the previous one still
 * accepted, so a cookie handed out just before a rotation stays valid. */
#include "engine/ike_sa.h"

#include "crypto/prf.h"

#include <string.h>

enum { COOKIE_LEN = 1 + 32 };

void cookie_maybe_rotate(struct engine *e, uint64_t now)
{
	if (e->cookie_ready && now < e->cookie_rotate_at)
		return;
	if (e->cookie_ready)
		memcpy(e->cookie_prev, e->cookie_secret,
		       sizeof(e->cookie_prev));
	if (engine_random(e, e->cookie_secret, sizeof(e->cookie_secret))) {
		engine_log(e, NULL, 3,
			   "cookie secret rotation failed: no "
			   "random bytes; keeping the old secret");
		return;
	}
	if (!e->cookie_ready)
		memcpy(e->cookie_prev, e->cookie_secret,
		       sizeof(e->cookie_prev));
	e->cookie_ver++;
	e->cookie_ready = true;
	e->cookie_rotate_at = now + e->set.cookie_rotate_ms;
}

static int cookie_mac(const uint8_t *secret, uint8_t ver,
		      const struct ike_msg *m, const struct engine_addr *remote,
		      uint8_t out[COOKIE_LEN])
{
	const struct ike_payload *ni = ike_msg_find(m, PL_NONCE, NULL);
	const struct xform_prf *prf;
	uint8_t spi[8], mac[PRF_MAX];
	struct crypto_span d[3];
	int err;

	if (!ni)
		return -ENG_ERR_MISSING;
	for (int i = 0; i < 8; i++)
		spi[i] = (uint8_t)(m->hdr.spi_i >> (56 - 8 * i));
	d[0] = (struct crypto_span){ ni->u.nonce.data.ptr,
				     ni->u.nonce.data.len };
	d[1] = (struct crypto_span){ remote->ip,
				     remote->family == 10 ? 16 : 4 };
	d[2] = (struct crypto_span){ spi, sizeof(spi) };
	if ((err = xform_prf_find(PRF_HMAC_SHA2_256, &prf)) ||
	    (err = prf_compute(prf, secret, 32, d, 3, mac)))
		return err;
	out[0] = ver;
	memcpy(out + 1, mac, 32);
	return 0;
}

int cookie_compute(struct engine *e, uint8_t ver, const struct ike_msg *m,
		   const struct engine_addr *remote, uint8_t *out,
		   size_t *out_len)
{
	const uint8_t *secret =
		ver == e->cookie_ver ? e->cookie_secret : e->cookie_prev;
	int err = cookie_mac(secret, ver, m, remote, out);

	*out_len = err ? 0 : COOKIE_LEN;
	return err;
}

bool cookie_verify(struct engine *e, const struct ike_msg *m,
		   const struct engine_addr *remote)
{
	const struct ike_payload *n = ike_msg_find_notify(m, N_COOKIE);
	uint8_t want[COOKIE_LEN];
	size_t len;
	uint8_t ver;

	if (!n || n->u.notify.data.len != COOKIE_LEN)
		return false;
	ver = n->u.notify.data.ptr[0];
	if (ver != e->cookie_ver && ver != (uint8_t)(e->cookie_ver - 1))
		return false;
	if (cookie_compute(e, ver, m, remote, want, &len))
		return false;
	return crypto_equal(want, n->u.notify.data.ptr, COOKIE_LEN);
}
