/*
 * pop3d_capa.c - the CAPA answer (RFC 2449), shared by tern-pop3d's
 * pre-auth child, its worker and tern-proxy's POP3 side (which must
 * advertise exactly what tern-pop3d does).
 */
#include <stdint.h>

#include "lib/bio.h"

#include "pop3d/pop3d.h"

/* CAPA, before the login (the pre-auth child) and after (the worker). */
int
pop3_capa(struct bio *b, int preauth, int tls_offer, int plain_ok,
    const char *expire, uint64_t login_delay)
{
	int r = 0;

	r |= bio_puts(b, "+OK Capability list follows\r\n"
	    "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
	if (preauth && plain_ok)
		r |= bio_puts(b, "USER\r\nSASL PLAIN\r\n");
	if (preauth && tls_offer)
		r |= bio_puts(b, "STLS\r\n");
	if (expire != NULL && expire[0] != '\0')
		r |= bio_printf(b, "EXPIRE %s\r\n", expire);
	if (login_delay > 0)
		r |= bio_printf(b, "LOGIN-DELAY %llu\r\n",
		    (unsigned long long)login_delay);
	r |= bio_puts(b, "IMPLEMENTATION tern\r\n.\r\n");
	return r < 0 ? -1 : 0;
}
