# tern — top-level, non-recursive Makefile.
#
#   make              build lib/libtern.a and every program into $(O)/bin
#   make check        build, then run every test (TAP, prove)
#   make check SAN=1  the same, built with AddressSanitizer + UBSan in build-san/
#   make run          start the whole single-host suite in the foreground
#   make fuzz         build the libFuzzer targets of t/fuzz (clang)
#   make install      PREFIX=/usr/local DESTDIR=... (no users, no folders: tern-setup)
#   make dist         tern-$(VERSION).tar.gz
#
# Each program folder holds one or more *.mk files that appends to PROGS and says which
# sources make each program; this file knows nothing about any one program.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
SBINDIR   = $(PREFIX)/sbin
LIBEXEC   = $(PREFIX)/libexec/tern
MANDIR    = $(PREFIX)/share/man
SYSCONF  ?= /etc/tern

CC       ?= cc
SAN      ?=
ifeq ($(SAN),1)
O        ?= build-san
SANFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer -g -O1 -DTERN_SAN=1
HARDEN    =
else
O        ?= build
SANFLAGS  =
HARDEN    = -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif

PKGS      = openssl libcdb libbsd libcrypt
# Recursively expanded on purpose: evaluated when a recipe runs, which is
# after the dependency check below may have installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The programs link tinycdb and libbsd (with its libmd) statically: small,
# and each shared library is five more mappings in every process, which a
# fork server's fork copies and each connection's exit tears down
# (bench/RESULTS.md, 2026-11-30: tern-smtpd's fork and exit are a fifth of
# a message's CPU).  OpenSSL, libcrypt and libc stay shared, for their
# security updates.  Libraries a program does not use are not linked.
STATIC_PKGS = libcdb libbsd
DYN_LIBS   = $(shell pkg-config --libs $(filter-out $(STATIC_PKGS),$(PKGS)) 2>/dev/null)
STATIC_LIBS = -Wl,-Bstatic $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null) -Wl,-Bdynamic

WARN      = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes -Wimplicit-fallthrough
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DTERN_VERSION='"$(VERSION)"' \
            -DTERN_SYSCONF='"$(SYSCONF)"' -DTERN_LIBEXEC='"$(LIBEXEC)"' \
            -DTERN_SBINDIR='"$(SBINDIR)"' \
            -I. $(WARN) $(HARDEN) -fPIE $(SANFLAGS) $(CFLAGS) $(PKG_CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANFLAGS) $(LDFLAGS)
LIBS      = $(STATIC_LIBS) $(DYN_LIBS)

PROGS     =
MANPAGES  =
SCRIPTS   =
LINKS     =
STATIC_PROGS =
-include $(sort $(filter-out mk/%,$(wildcard */*.mk)))

# STATIC_PROGS (the post-login workers, exec'd at every login) are linked
# static-pie, still with ASLR and full RELRO: they start without the
# dynamic linker's work (~0.8 ms of CPU per login, bench/pop3).  They never
# look a user up; pop3d/worker_static.c's getpwnam keeps glibc's NSS out.
# Sanitizer builds cannot link statically.
ifneq ($(SAN),1)
$(foreach p,$(STATIC_PROGS),$(eval $(p)_SRCS += pop3d/worker_static.c))
$(STATIC_PROGS:%=$(O)/bin/%): LIBS += -lmd -static-pie
# (no -Bstatic/-Bdynamic pair there: -Bdynamic would undo -static-pie)
$(STATIC_PROGS:%=$(O)/bin/%): STATIC_LIBS = $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null)
ifneq ($(findstring clang,$(CC)),)
# clang says -pie (in every link line) is unused next to -static-pie.
$(STATIC_PROGS:%=$(O)/bin/%): LIBS += -Wno-unused-command-line-argument
endif
endif

LIB_SRCS  = $(sort $(wildcard lib/*.c))
LIB_OBJS  = $(LIB_SRCS:%.c=$(O)/%.o)
LIBTERN   = $(O)/lib/libtern.a

UNIT_SRCS = $(sort $(wildcard t/unit/*.c))
UNIT_TESTS = $(UNIT_SRCS:t/unit/%.c=$(O)/t/unit/%.t)
TAP_OBJ   = $(O)/t/tap.o

# Helper programs for tests (t/bin/*.c) and the fuzz targets rebuilt as
# plain programs that replay their corpus (t/fuzz/replay.c gives main).
TBIN_SRCS = $(sort $(wildcard t/bin/*.c))
TBINS     = $(TBIN_SRCS:t/bin/%.c=$(O)/t/bin/%)
FUZZ_SRCS = $(sort $(filter-out t/fuzz/replay.c,$(wildcard t/fuzz/*.c)))
FUZZ_REPLAY = $(FUZZ_SRCS:t/fuzz/%.c=$(O)/t/fuzz/%)

BINS      = $(PROGS:%=$(O)/bin/%)
DEPSTAMP  = $(O)/.deps-ok

.PHONY: all check run fuzz install dist clean deps banned
.SECONDARY:
all: $(BINS) $(UNIT_TESTS) $(TBINS) $(FUZZ_REPLAY)

deps: $(DEPSTAMP)
$(DEPSTAMP): mk/deps.sh
	@sh mk/deps.sh build
	@mkdir -p $(O) && touch $@

# V=1 shows the full command lines.
Q = $(if $(V),,@)
$(O)/%.o: %.c | $(DEPSTAMP)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBTERN): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# A program's objects come from its <prog>_SRCS in its module.mk.
define prog_rule
$(O)/bin/$(1): $$($(1)_SRCS:%.c=$(O)/%.o) $(LIBTERN)
	@mkdir -p $$(@D)
	$$(CC) $(ALL_LDFLAGS) -o $$@ $$($(1)_SRCS:%.c=$(O)/%.o) $(LIBTERN) $$(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

$(O)/t/unit/%.t: $(O)/t/unit/%.o $(TAP_OBJ) $(LIBTERN)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TAP_OBJ) $(LIBTERN) $(LIBS)

$(O)/t/bin/%: $(O)/t/bin/%.o $(LIBTERN)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBTERN) $(LIBS)

$(O)/t/fuzz/%: $(O)/t/fuzz/%.o $(O)/t/fuzz/replay.o $(LIBTERN)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/t/fuzz/replay.o $(LIBTERN) $(LIBS)

# The house style bans these; grep enforces it (comments included, on purpose).
BANNED = '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|strncpy|alloca|system|popen)[[:space:]]*\('
banned:
	@if grep -nE $(BANNED) $$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]') \
	    | grep -v '^t/fuzz/.*LLVMFuzzer'; then \
	    echo "banned function used (see STYLE: strings and buffers)"; exit 1; fi

check: all banned
	@sh mk/deps.sh check
	TERN_BUILD=$(CURDIR)/$(O) TERN_SRC=$(CURDIR) prove -e '' -j$${TEST_JOBS:-2} -r $(O)/t/unit t/

run: all
	@sh mk/deps.sh run
	TERN_BUILD=$(CURDIR)/$(O) sh mk/run.sh

fuzz:
	@sh mk/deps.sh build
	$(MAKE) O=build-fuzz CC=clang SANFLAGS='-fsanitize=fuzzer-no-link,address,undefined -g -O1' HARDEN= build-fuzz/lib/libtern.a
	@mkdir -p build-fuzz/fuzz
	for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  clang -DTERN_FUZZ -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o build-fuzz/fuzz/$$n $$f build-fuzz/lib/libtern.a $(PKG_LIBS) || exit 1; done

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PREFIX)/share/tern/conf
	for p in $(PROGS); do install -m 0755 $(O)/bin/$$p $(DESTDIR)$(SBINDIR)/$$p; done
	for s in $(SCRIPTS); do install -m 0755 $$s $(DESTDIR)$(SBINDIR)/$$(basename $$s); done
	for l in $(LINKS); do ln -sf $${l#*:} $(DESTDIR)$(SBINDIR)/$${l%%:*}; done
	for m in $(MANPAGES); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	cp -R conf/. $(DESTDIR)$(PREFIX)/share/tern/conf/
	@# The unit names the programs by path: this PREFIX's, not /usr/local's.
	sed 's,/usr/local/sbin/,$(SBINDIR)/,g' conf/tern.service > $(DESTDIR)$(PREFIX)/share/tern/conf/tern.service
	@# An upgrade over a prepared host: install(1) above dropped
	@# tern-enqueue's set-id bits, without which sendmail cannot queue.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && id ternq >/dev/null 2>&1; then \
	    chown ternq:ternq $(SBINDIR)/tern-enqueue && chmod 6711 $(SBINDIR)/tern-enqueue && \
	    echo "tern-enqueue: set-id ternq again (tern-setup)"; fi

dist:
	@rm -rf tern-$(VERSION) tern-$(VERSION).tar.gz
	mkdir tern-$(VERSION)
	git ls-files | tar -cf - -T - | tar -xf - -C tern-$(VERSION)
	tar -czf tern-$(VERSION).tar.gz tern-$(VERSION)
	rm -rf tern-$(VERSION)
	@echo "wrote tern-$(VERSION).tar.gz"

clean:
	rm -rf build build-san build-fuzz build-clang tern-*.tar.gz

-include $(shell find $(O) -name '*.d' 2>/dev/null)
