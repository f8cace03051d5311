# tern-sendmail: the sendmail command line (tern-sendmail(8)); installed
# also as sendmail, mailq and newaliases (symlinks, LINKS).
PROGS += tern-sendmail
tern-sendmail_SRCS = sendmail/tern-sendmail.c sendmail/sm_msg.c \
	sendmail/sm_enqueue.c sendmail/sm_smtp.c
MANPAGES += sendmail/tern-sendmail.8
LINKS += sendmail:tern-sendmail mailq:tern-sendmail newaliases:tern-sendmail
