# syntax=docker/dockerfile:1
# The wattprobe image: built on Debian 12, run on bookworm-slim with the runtime
# libraries only. Build it from the top of the repository:
#
#   docker build -t wattprobe:0.1.0 .
#
# How to run it, with which capabilities and mounts and why: README.md, "Deployment".
# Starts as root with the few capabilities given at run time; wattprobe drops every
# one of them after start-up and goes on as the user `wattprobe` (uid 9725 unless
# built with --build-arg WATTPROBE_UID=...).

# --- build ---------------------------------------------------------------------
FROM debian:bookworm AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libmicrohttpd-dev \
		libcap-dev make pkg-config libc6-dev libyaml-dev libgnutls28-dev libcrypt-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what `make` reads: a change to the tests or the docs does not rebuild.
# vmlinux/x86/vmlinux.h is committed: the build does not need the host's BTF.
COPY Makefile ./
COPY vmlinux vmlinux
COPY include include
COPY bpf bpf
COPY src src
RUN make -j"$(nproc)" OUT=build build/wattprobe

# --- runtime -------------------------------------------------------------------
FROM debian:bookworm-slim
ARG WATTPROBE_UID=9725
LABEL org.opencontainers.image.title="wattprobe" \
	org.opencontainers.image.description="Per-process power from a sched_switch BPF program and RAPL" \
	org.opencontainers.image.licenses="GPL-2.0 OR BSD-3-Clause"
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libbpf1 libelf1 zlib1g libmicrohttpd12 libcap2 libyaml-0-2 libgnutls30 libcrypt1 \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd --gid "$WATTPROBE_UID" wattprobe \
	&& useradd --uid "$WATTPROBE_UID" --gid wattprobe --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin wattprobe
COPY --from=build /src/build/wattprobe /usr/local/sbin/wattprobe
COPY --chmod=0755 deploy/entrypoint.sh /usr/local/bin/wattprobe-entrypoint
# Not root by default. The deployments start it as root (docker run --user 0:0,
# runAsUser: 0) with only BPF, PERFMON, SETUID and SETGID: a runtime gives added
# capabilities to root only, and wattprobe needs them for the first second.
USER wattprobe
EXPOSE 9725
ENTRYPOINT ["/usr/local/bin/wattprobe-entrypoint"]
