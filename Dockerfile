# The calm-audit container image (docs/install.md): the static musl binary on distroless/static,
# which holds the CA certificates for TLS, /etc/passwd entries and nothing else (no shell, no
# package manager). It runs as the non-root user 65532 and calm-audit is the entrypoint:
#   docker build -t calm-audit .
#   docker run --rm -v "$PWD:/work:ro" calm-audit check .
# The builder compiles with the release workflow's command (.github/scripts/build.sh TARGET:
# release profile, --locked, statically linked).

FROM rust:1.95-alpine AS build
# musl-dev: the C start files and headers the musl target links with (ring's C parts). Alpine
# keeps only the newest build of a package, so a pinned version would stop building.
# hadolint ignore=DL3018
RUN apk add --no-cache bash musl-dev
WORKDIR /src
COPY . .
RUN dir="$(bash .github/scripts/build.sh "$(uname -m)-unknown-linux-musl")" \
 && cp "$dir/calm-audit" /calm-audit

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /calm-audit /usr/local/bin/calm-audit
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/calm-audit"]
CMD ["--help"]
