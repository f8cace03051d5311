PROGS += tern-maps
tern-maps_SRCS = maps/tern-maps.c

MANPAGES += maps/tern-maps.8 conf/maps.5
