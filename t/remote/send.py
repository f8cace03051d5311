#!/usr/bin/python3
"""t/remote/send.py PORT FROM TO[,TO...] MSGFILE - submit MSGFILE's bytes
(BODY=8BITMIME) over SMTP to 127.0.0.1:PORT; prints "250 QID" or the
refusal."""
import re, smtplib, sys

port, sender, rcpts, path = sys.argv[1:5]
data = open(path, 'rb').read()
s = smtplib.SMTP('127.0.0.1', int(port), timeout=60)
s.ehlo('client.test')
try:
    refused = s.sendmail(sender, rcpts.split(','), data,
                         mail_options=['BODY=8BITMIME'])
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode(errors='replace'))
    sys.exit(0)
except smtplib.SMTPRecipientsRefused as e:
    print('refused', e.recipients)
    sys.exit(0)
print('250', 'ok')
s.quit()
