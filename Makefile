# The two set-up commands of the README:
#   make run    installs what is missing, builds, and runs the main job
#   make test   installs what is missing, builds, and runs every test
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
  CMAKE_FLAGS += -DPRISM_WERROR=ON
endif

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# With a display: the studio on the moderation sample. Without one (CI, ssh):
# the CLI evaluation of the same sample, so `make run` never waits on a window.
STUDIO := ./$(BUILD_DIR)/app/studio/prism-studio
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -x $(STUDIO) ]; then \
	  $(STUDIO) --sample moderation; \
	else \
	  echo "make run: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the CLI evaluates the moderation sample instead."; \
	  ./$(BUILD_DIR)/app/prism eval samples/moderation/moderation.prism.json --split test; \
	fi

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE "bench|nightly"

bench: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L bench

clean:
	@rm -rf $(BUILD_DIR)
