# danbao as a container image: one static binary (the Wenzhou example, the
# scenario library, the dashboard and the OpenAPI document embedded), run as
# a non-root user. The build fetches nothing but the Go modules.
#
#   docker build -t danbao:latest .
#   docker run --rm danbao:latest run --paths 2000
#   docker run --rm -p 8080:8080 -v danbao-data:/data danbao:latest \
#       serve --addr 0.0.0.0:8080 --data /data --keys-file /data/keys
#
# Kubernetes (sharded runs, merge): deploy/k8s/ and docs/deploy.md.

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a change of code reuses the download.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/danbao ./cmd/danbao \
 && mkdir -p /out/tmp /out/data && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/danbao /danbao
COPY --from=build /out/tmp /tmp
COPY --from=build --chown=65532:65532 /out/data /data
# 65532 ("nonroot" in distroless images): no name is needed without /etc/passwd.
USER 65532:65532
ENV TMPDIR=/tmp
WORKDIR /data
ENTRYPOINT ["/danbao"]
CMD ["--help"]
