# tern-smtpd: one SMTP/submission/LMTP session (tern-smtpd(8)).
PROGS += tern-smtpd
tern-smtpd_SRCS = smtpd/tern-smtpd.c smtpd/smtpd_session.c \
	smtpd/smtpd_cmd.c smtpd/smtpd_data.c smtpd/smtpd_enqueue.c \
	smtpd/smtpd_tls.c smtpd/smtpd_auth.c smtpd/smtpd_rate.c
MANPAGES += smtpd/tern-smtpd.8
