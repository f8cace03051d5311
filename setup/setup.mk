SCRIPTS += setup/tern-setup
MANPAGES += setup/tern-setup.8
