PROGS += tern-maps tern-user
tern-maps_SRCS = maps/tern-maps.c
tern-user_SRCS = maps/tern-user.c maps/user_move.c

MANPAGES += maps/tern-maps.8 maps/tern-user.8 conf/maps.5
