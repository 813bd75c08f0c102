# syntax=docker/dockerfile:1
# The nftpolicy image: one static binary, /nftpolicy (`nftpolicy agent`, `nftpolicy cleanup`), on distroless.
#
#   docker build -t REGISTRY/nftpolicy:TAG .
#
# The binary is built on the build machine's platform for the target's (docker buildx --platform ...), without
# cgo, so the final image needs no libc: gcr.io/distroless/static holds CA certificates, /etc/passwd and tzdata,
# and no shell.
#
# User: root (UID 0). netlink needs CAP_NET_ADMIN in the process's effective set, and Kubernetes puts an added
# capability there only for UID 0 (a non-root process would need file capabilities on the binary and
# allowPrivilegeEscalation: true, a wider door). The DaemonSet (config/agent/daemonset.yaml) drops every other
# capability, forbids privilege escalation and mounts the root filesystem read-only.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/nftpolicy ./cmd/nftpolicy

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/nftpolicy /nftpolicy
USER 0:0
ENTRYPOINT ["/nftpolicy"]
