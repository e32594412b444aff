/* NAT detection (RFC 7296 §2.23): hashes and notifies. Kept apart from the files that
 * include crypto/skp.h: OpenSSL's safestack macros define `sk_new`. */
#include "engine/ike_sa.h"

#include <openssl/evp.h>
#include <string.h>

int nat_hash(uint64_t spi_i, uint64_t spi_r, const struct engine_addr *a,
	     uint8_t out[NAT_HASH_LEN])
{
	uint8_t buf[8 + 8 + 16 + 2];
	size_t alen = a->family == 10 ? 16 : 4, n = 16;
	unsigned int len = 0;

	for (int i = 0; i < 8; i++) {
		buf[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		buf[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	memcpy(buf + n, a->ip, alen);
	n += alen;
	buf[n++] = (uint8_t)(a->port >> 8);
	buf[n++] = (uint8_t)a->port;
	if (!EVP_Digest(buf, n, out, &len, EVP_sha1(), NULL) ||
	    len != NAT_HASH_LEN)
		return -ENG_ERR_CRYPTO;
	return 0;
}

int nat_notifies(struct ike_sa *sa, struct ike_msg *m, bool inner,
		 uint8_t hashes[2 * NAT_HASH_LEN])
{
	int err;

	if ((err = nat_hash(sa->spi_i, sa->spi_r, &sa->local, hashes)) ||
	    (err = nat_hash(sa->spi_i, sa->spi_r, &sa->remote,
			    hashes + NAT_HASH_LEN)))
		return err;
	if (!msg_add_notify(m, inner, N_NAT_DETECTION_SOURCE_IP, 0, hashes,
			    NAT_HASH_LEN) ||
	    !msg_add_notify(m, inner, N_NAT_DETECTION_DESTINATION_IP, 0,
			    hashes + NAT_HASH_LEN, NAT_HASH_LEN))
		return -ENG_ERR_NOMEM;
	return 0;
}

void nat_check(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *p;
	uint8_t h[NAT_HASH_LEN];
	bool any = false, match = false;

	for (p = ike_msg_find(m, PL_NOTIFY, NULL); p;
	     p = ike_msg_find(m, PL_NOTIFY, p)) {
		if (p->u.notify.type != N_NAT_DETECTION_SOURCE_IP)
			continue;
		any = true;
		if (!nat_hash(m->hdr.spi_i, m->hdr.spi_r, &sa->remote, h) &&
		    p->u.notify.data.len == NAT_HASH_LEN &&
		    !memcmp(h, p->u.notify.data.ptr, NAT_HASH_LEN))
			match = true;
	}
	sa->nat_remote = any && !match;
	p = ike_msg_find_notify(m, N_NAT_DETECTION_DESTINATION_IP);
	sa->nat_local =
		p && (nat_hash(m->hdr.spi_i, m->hdr.spi_r, &sa->local, h) ||
		      p->u.notify.data.len != NAT_HASH_LEN ||
		      memcmp(h, p->u.notify.data.ptr, NAT_HASH_LEN));
	if (sa->nat_local || sa->nat_remote)
		engine_log(sa->e, sa, 5, "NAT detected:%s%s",
			   sa->nat_local ? " in front of us" : "",
			   sa->nat_remote ? " in front of the peer" : "");
}
