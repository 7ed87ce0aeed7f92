# cinstall - one Makefile, no recursion.
#
#   make                 libcinstall.a, libcinstall.so.0 and cinstall in $(BUILD)
#   make check           build and run the whole test suite
#   make asan|ubsan|tsan the suite under a sanitizer (own build directory)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench | hdr-check | style | clean
#   make fuzz            libFuzzer targets (clang) in $(BUILD)-fuzz, each run
#                        FUZZ_SECONDS (default 60); see test/fuzz/run.sh
#
# Overridable: CC CFLAGS LDFLAGS PREFIX DESTDIR BUILD SANITIZE WERROR=1 V=1
#              FUZZ_CC FUZZ_SECONDS DLOPEN=0 (link libarchive, libzip and
#              libcrypto directly instead of loading them when first
#              needed: src/dl.h)
#              LIBARCHIVE=shared (the cinstall command opens the system's
#              libarchive when it first reads a wheel, instead of having
#              its zip reader linked in: src/zipstack/zipstack.c)

CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
SANITIZE ?=
DLOPEN   ?= 1
LIBARCHIVE ?= static

SOVERSION = 0
VERSION   = 0.1.0

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKG_CFLAGS := $(shell pkg-config --cflags libarchive libzip libcrypto 2>/dev/null)
ifeq ($(DLOPEN),1)
# libarchive and libzip are opened by soname when a wheel is first read,
# libcrypto when a SHA-2 digest is first computed (src/dl.c): the sonames
# the link would have recorded, from the .so files their -dev packages
# install.
soname_of = $(shell objdump -p "$$($(CC) -print-file-name=lib$(1).so)" 2>/dev/null | sed -n 's/^ *SONAME *//p')
LIBARCHIVE_SONAME := $(call soname_of,archive)
LIBZIP_SONAME     := $(call soname_of,zip)
LIBCRYPTO_SONAME  := $(call soname_of,crypto)
DL_CFLAGS = -DCINSTALL_DLOPEN=1 -DCINSTALL_LIBARCHIVE_SONAME='"$(LIBARCHIVE_SONAME)"' \
            -DCINSTALL_LIBZIP_SONAME='"$(LIBZIP_SONAME)"' -DCINSTALL_LIBCRYPTO_SONAME='"$(LIBCRYPTO_SONAME)"'
PKG_LIBS  := -ldl
PC_REQUIRES =
PC_LIBS     = -ldl
else
DL_CFLAGS = -DCINSTALL_DLOPEN=0
PKG_LIBS  := $(shell pkg-config --libs libarchive libzip libcrypto 2>/dev/null || echo -larchive -lzip -lcrypto)
PC_REQUIRES = libarchive libzip libcrypto
PC_LIBS     =
endif

# x86-64: XXH3 also built for AVX2 (src/hash_avx2.c), chosen at run time.
XXH_AVX2 := $(if $(filter x86_64%,$(shell $(CC) -dumpmachine 2>/dev/null)),-DCINSTALL_XXH_AVX2=1)

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread $(WARN) $(SANFLAGS) $(CFLAGS)
LIB_CFLAGS  = $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DCINSTALL_BUILDING -Iinclude -Ithird_party -Isrc $(PKG_CFLAGS) $(DL_CFLAGS) $(XXH_AVX2)
CLI_CFLAGS  = $(ALL_CFLAGS) -Iinclude
TEST_CFLAGS = $(ALL_CFLAGS) -Iinclude -Ithird_party -Isrc -Itest/unit $(PKG_CFLAGS) $(XXH_AVX2)
LIBS        = $(PKG_LIBS) -pthread
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

ifneq ($(V),1)
Q = @
QCC = @echo "  CC      $@";
QLD = @echo "  LD      $@";
endif

LIB_SRC  = $(sort $(wildcard src/*.c))
CLI_SRC  = $(sort $(wildcard src/cli/*.c))
UNIT_SRC = $(sort $(wildcard test/unit/test_*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%) $(BUILD)/test/test_base_evp
SHIM_SRC = $(sort $(wildcard test/shim/*.c))
SHIM_SO  = $(SHIM_SRC:test/shim/%.c=$(BUILD)/test/shim/%.so)
FUZZ_SRC = $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:test/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60

STATIC = $(BUILD)/libcinstall.a
SHARED = $(BUILD)/libcinstall.so.$(VERSION)
SONAME = libcinstall.so.$(SOVERSION)
BIN    = $(BUILD)/cinstall

.SECONDARY:
.PHONY: all check unit asan ubsan tsan install uninstall clean bench hdr-check style demo fuzz fuzz-build fuzz-bins

all: $(STATIC) $(SHARED) $(BIN)

$(BUILD)/src/cli/%.o: src/cli/%.c
	@mkdir -p $(@D)
	$(QCC)$(CC) $(CLI_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(QCC)$(CC) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

# XXH3's update for AVX2, called only on CPUs that have it (src/hash_avx2.c).
ifneq ($(XXH_AVX2),)
$(BUILD)/src/hash_avx2.o: LIB_CFLAGS += -mavx2
endif

$(STATIC): $(LIB_OBJ)
	$(QLD)rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIB_OBJ) src/libcinstall.map
	$(QLD)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/libcinstall.map \
		$(ALL_LDFLAGS) -o $@ $(LIB_OBJ) $(LIBS)
	$(Q)ln -sf libcinstall.so.$(VERSION) $(BUILD)/$(SONAME)
	$(Q)ln -sf libcinstall.so.$(VERSION) $(BUILD)/libcinstall.so

# libarchive's zip reader and the decompressors it calls, from their static
# archives, in one object whose only global symbol is the table src/dl.c
# takes (src/zipstack/zipstack.c says why); linked into the command only.
# nettle's functions are left out, their references weak (null): they
# serve only WinZip AES decryption, which needs a passphrase, never given.
ifeq ($(DLOPEN)$(LIBARCHIVE),1static)
ZIPSTACK      = $(BUILD)/zipstack.o
ZIPSTACK_LIBS = archive lzma zstd bz2 z
ZIPSTACK_PKGS = libarchive-dev liblzma-dev libzstd-dev libbz2-dev zlib1g-dev
endif

# libarchive's calls to mbrtowc and mktime go to src/zipstack/mbrtowc.c
# and mktime.c (renamed before those join, so their own calls stay glibc's).
ZIPSTACK_WRAP = $(BUILD)/src/zipstack/mbrtowc.o $(BUILD)/src/zipstack/mktime.o
$(BUILD)/zipstack.o: $(BUILD)/src/zipstack/zipstack.o $(ZIPSTACK_WRAP)
	$(Q)for l in $(ZIPSTACK_LIBS); do \
		f=$$($(CC) -print-file-name=lib$$l.a); [ -f "$$f" ] || { \
		echo "cinstall: no lib$$l.a for LIBARCHIVE=static: apt-get install $(ZIPSTACK_PKGS)," \
		     "or build with LIBARCHIVE=shared" >&2; exit 1; }; done
	$(QLD)$(CC) -r -nostdlib -o $@.1 $< -Wl,-Bstatic -Wl,--start-group $(ZIPSTACK_LIBS:%=-l%) -Wl,--end-group
	$(Q)objcopy --redefine-sym mbrtowc=cinstall_zipstack__mbrtowc \
		--redefine-sym mktime=cinstall_zipstack__mktime $@.1 $@.2
	$(Q)$(CC) -r -nostdlib -o $@.3 $@.2 $(ZIPSTACK_WRAP)
	$(Q)objcopy -G cinstall_zipstack__archive --wildcard --weaken-symbol='nettle_*' $@.3 $@ && rm -f $@.1 $@.2 $@.3

$(BIN): $(CLI_OBJ) $(ZIPSTACK) $(STATIC)
	$(QLD)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(ZIPSTACK) $(STATIC) $(LIBS)

$(BUILD)/test/%.o: test/unit/%.c
	@mkdir -p $(@D)
	$(QCC)$(CC) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/test/harness.o: test/unit/harness.c
	@mkdir -p $(@D)
	$(QCC)$(CC) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/test/test_%: $(BUILD)/test/test_%.o $(BUILD)/test/harness.o $(STATIC)
	$(QLD)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/test/harness.o $(STATIC) $(LIBS)

# test_base again over hash.c's EVP path (CINSTALL_SHA_EVP), which the
# library takes where libcrypto lacks the direct SHA-2 functions.
$(BUILD)/test/hash_evp.o: src/hash.c
	@mkdir -p $(@D)
	$(QCC)$(CC) $(LIB_CFLAGS) -DCINSTALL_SHA_EVP -MMD -MP -c -o $@ $<
$(BUILD)/test/test_base_evp: $(BUILD)/test/test_base.o $(BUILD)/test/hash_evp.o $(BUILD)/test/harness.o $(STATIC)
	$(QLD)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/test/hash_evp.o $(BUILD)/test/harness.o $(STATIC) $(LIBS)
$(BUILD)/test/shim/%.so: test/shim/%.c
	@mkdir -p $(@D)
	$(QCC)$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -fPIC -shared -o $@ $< -ldl

$(BUILD)/fuzz/%.o: test/fuzz/%.c
	@mkdir -p $(@D)
	$(QCC)$(CC) $(TEST_CFLAGS) -Itest/fuzz -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(STATIC)
	$(QLD)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(STATIC) $(LIBS)

# The unit test binaries, fault-injection shims and everything they need.
unit: all $(UNIT_BIN) $(SHIM_SO)

# The whole suite: unit tests, the command as a user runs it, conformance
# against pypa/installer, and filesystem tests (mounts need root).
check: unit
	$(Q)BUILD=$(BUILD) SANITIZE=$(SANITIZE) DLOPEN=$(DLOPEN) LIBARCHIVE=$(LIBARCHIVE) sh test/run.sh

asan:
	$(MAKE) BUILD=build-asan SANITIZE=address,undefined check
ubsan:
	$(MAKE) BUILD=build-ubsan SANITIZE=undefined check
tsan:
	$(MAKE) BUILD=build-tsan SANITIZE=thread DLOPEN=0 check

# Fuzzing: the library and one binary per test/fuzz/fuzz_*.c, built with
# clang's libFuzzer under ASan+UBSan in $(BUILD)-fuzz, then each target run
# for FUZZ_SECONDS on its seed corpus fixtures/fuzz/<name>/.
fuzz-bins: $(FUZZ_BIN)
fuzz-build:
	$(MAKE) BUILD=$(BUILD)-fuzz CC=$(FUZZ_CC) SANITIZE=address,undefined \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" fuzz-bins
fuzz: fuzz-build
	$(Q)BUILD=$(BUILD)-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) sh test/fuzz/run.sh

hdr-check:
	$(Q)sh test/hdr-check.sh

demo: all
	$(Q)sh examples/demo.sh

bench: all
	$(Q)sh .ci/deps.sh bench
	$(Q)sh bench/run.sh

style:
	clang-format -i $(LIB_SRC) $(CLI_SRC) src/*.h include/cinstall.h

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/cinstall
	install -m 644 include/cinstall.h $(DESTDIR)$(PREFIX)/include/cinstall.h
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/libcinstall.a
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/libcinstall.so.$(VERSION)
	ln -sf libcinstall.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf libcinstall.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libcinstall.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@REQUIRES@|$(PC_REQUIRES)|g' \
		-e 's|@LIBS@|$(PC_LIBS)|g' cinstall.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/cinstall.pc
	install -m 644 man/cinstall.1 $(DESTDIR)$(PREFIX)/share/man/man1/cinstall.1
	install -m 644 man/libcinstall.3 $(DESTDIR)$(PREFIX)/share/man/man3/libcinstall.3
ifneq ($(ZIPSTACK),)
	@# The notices of the code linked into the command (src/zipstack/zipstack.c).
	install -d $(DESTDIR)$(PREFIX)/share/doc/cinstall/linked-in
	for p in $(ZIPSTACK_PKGS); do f=/usr/share/doc/$$p/copyright; \
		[ ! -f $$f ] || install -m 644 $$f $(DESTDIR)$(PREFIX)/share/doc/cinstall/linked-in/$$p.copyright; done
endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/cinstall $(DESTDIR)$(PREFIX)/include/cinstall.h \
		$(DESTDIR)$(PREFIX)/lib/libcinstall.a $(DESTDIR)$(PREFIX)/lib/libcinstall.so* \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/cinstall.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/cinstall.1 $(DESTDIR)$(PREFIX)/share/man/man3/libcinstall.3
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/cinstall/linked-in
	-rmdir $(DESTDIR)$(PREFIX)/share/doc/cinstall 2>/dev/null

clean:
	rm -rf build build-asan build-ubsan build-tsan build-*

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/zipstack/zipstack.d $(BUILD)/src/zipstack/mbrtowc.d $(BUILD)/src/zipstack/mktime.d $(CLI_OBJ:.o=.d) $(UNIT_BIN:%=%.d) $(FUZZ_BIN:%=%.d)
