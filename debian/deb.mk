# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (Documentation/packaging.md), included by the
# top-level Makefile.
#
#   make deb   dpkg-buildpackage -b on a copy of the tree in
#              $(BUILD)/deb-src/zcap-<version>/ (it writes its results to
#              the parent directory, which is then $(BUILD)/deb-src/, never
#              the parent of this tree); the .deb (-dbgsym ones too), .changes and
#              .buildinfo files are moved to $(DEB_OUT), and lintian's
#              report on them is $(DEB_OUT)/lintian.txt: any error (E:)
#              fails the target.
#   make deb-build   the same without lintian
#
# The copy is what git tracks plus what it does not ignore, so a build tree
# or kernel objects in the working tree never reach the packages; without
# git, the whole tree less $(BUILD) and build/.
# The packages' test (`make check`, host): tests/pkg/pkg.mk.

DEB_OUT := $(BUILD)/deb
DEB_SRC_PARENT := $(BUILD)/deb-src
DEB_SRC := $(DEB_SRC_PARENT)/zcap-$(ZCAP_VERSION)
DEB_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: deb deb-build
deb: deb-build
	@lintian --tag-display-limit 0 $(DEB_OUT)/*.changes >$(DEB_OUT)/lintian.txt 2>&1; \
	if grep -q '^E: ' $(DEB_OUT)/lintian.txt; then \
		grep '^E: ' $(DEB_OUT)/lintian.txt >&2; \
		echo "deb: lintian reports errors ($(DEB_OUT)/lintian.txt)" >&2; exit 1; \
	fi
	@echo "deb: packages in $(DEB_OUT):"; ls $(DEB_OUT)/*.deb | sed 's/^/  /'
	@echo "deb: lintian: $$(grep -c '^E: ' $(DEB_OUT)/lintian.txt) errors, $$(grep -c '^W: ' $(DEB_OUT)/lintian.txt) warnings ($(DEB_OUT)/lintian.txt)"

# The packages alone, without lintian (the packages' test runs lintian
# itself, beside its other checks).
deb-build:
	@rm -rf $(DEB_SRC_PARENT) $(DEB_OUT)
	@mkdir -p $(DEB_SRC) $(DEB_OUT)
	@if git -C $(TOP) rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		cd $(TOP) && git ls-files -z --cached --others --exclude-standard | \
			while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
			tar --null -T - -cf - | tar -xf - -C $(DEB_SRC); \
	else \
		tar -C $(TOP) --exclude=./build --exclude=./$(patsubst $(TOP)/%,%,$(BUILD)) \
			-cf - . | tar -xf - -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="parallel=$(DEB_JOBS) $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -us -uc >$(DEB_SRC_PARENT)/build.log 2>&1 || \
		{ tail -40 $(DEB_SRC_PARENT)/build.log >&2; \
		  echo "deb: dpkg-buildpackage failed, see $(DEB_SRC_PARENT)/build.log" >&2; exit 1; }
	mv $(DEB_SRC_PARENT)/*.deb $(DEB_SRC_PARENT)/*.changes $(DEB_SRC_PARENT)/*.buildinfo \
		$(DEB_OUT)/
