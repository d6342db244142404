# The wattprobe image: built on Debian 12, run on bookworm-slim with the runtime
# libraries only. Build it from the top of the repository, with any Docker (the
# legacy builder too: no BuildKit feature is used) or Podman:
#
#   docker build -t wattprobe:0.2.0 .
#
# It pulls one image, the base, and reaches nothing else but that image's Debian
# mirror (apt-get). To take the base from your own registry or a local import:
#
#   docker build --build-arg DEBIAN_IMAGE=registry.example/debian:bookworm-slim -t wattprobe:0.2.0 .
#
# How to run it, with which capabilities and mounts and why: docs/deployment.md, "Container".
# Starts as root with the few capabilities given at run time; wattprobe drops every
# one of them after start-up and goes on as the user `wattprobe` (uid 9725 unless
# built with --build-arg WATTPROBE_UID=...).

# Debian 12 for both stages (an ARG before the first FROM is seen by every FROM)
ARG DEBIAN_IMAGE=debian:bookworm-slim

# --- build ---------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
# apt-get clean: Debian's official image removes the downloaded packages by itself
# (its /etc/apt/apt.conf.d/docker-clean), a base made with debootstrap does not
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		gcc clang libbpf-dev bpftool libelf-dev zlib1g-dev libmicrohttpd-dev \
		libcap-dev libncurses-dev libcurl4-gnutls-dev make libc6-dev \
		libyaml-dev libgnutls28-dev libcrypt-dev \
	&& apt-get clean \
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
# What the image gets, with its modes (COPY keeps the build context's, which a
# checkout may have lost): one COPY --from below, one layer, no RUN chmod
COPY deploy/entrypoint.sh deploy/entrypoint.sh
RUN install -D -m 0755 build/wattprobe out/usr/local/sbin/wattprobe \
	&& install -D -m 0755 deploy/entrypoint.sh out/usr/local/bin/wattprobe-entrypoint

# --- runtime -------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}
ARG WATTPROBE_UID=9725
LABEL org.opencontainers.image.title="wattprobe" \
	org.opencontainers.image.description="Per-process power from a sched_switch BPF program and RAPL" \
	org.opencontainers.image.licenses="GPL-2.0 OR BSD-3-Clause"
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libbpf1 libelf1 zlib1g libmicrohttpd12 libcurl3-gnutls libcap2 libncursesw6 libtinfo6 \
		libyaml-0-2 libgnutls30 libcrypt1 \
	&& apt-get clean \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd --gid "$WATTPROBE_UID" wattprobe \
	&& useradd --uid "$WATTPROBE_UID" --gid wattprobe --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin wattprobe
# /usr/local/sbin/wattprobe and /usr/local/bin/wattprobe-entrypoint, mode 0755
COPY --from=build /src/out/ /
# Not root by default. The deployments start it as root (docker run --user 0:0,
# runAsUser: 0) with only the capabilities it needs for its first second: a runtime
# gives added capabilities to root only.
USER wattprobe
EXPOSE 9725
ENTRYPOINT ["/usr/local/bin/wattprobe-entrypoint"]
