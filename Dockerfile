# Parution, as a container image: the release binary on a slim Debian.
#
#   docker build -t parution .
#   docker run -p 8080:8080 -v parution-data:/data parution
#
# Build: libpq, OpenSSL and SQLite are compiled from source into the binary,
# so the image needs no C library beyond glibc.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
RUN cargo build --release --locked \
    && strip target/release/parution \
    && mkdir -p /out/data \
    && cp target/release/parution /out/parution

# Run: the binary, the certificate authorities it trusts (for webhooks and
# S3 over HTTPS), and a user of its own. No package manager runs here, and
# nothing is fetched: the health check is the binary itself, asking
# /ready where PARUTION_BIND says the server listens.
FROM debian:bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Parution" \
      org.opencontainers.image.description="A JSON/REST API that serves publications, their categories and their related links." \
      org.opencontainers.image.source="https://github.com/parution/parution" \
      org.opencontainers.image.url="https://github.com/parution/parution" \
      org.opencontainers.image.documentation="https://github.com/parution/parution/blob/main/docs/deployment.md" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/parution /usr/local/bin/parution
COPY --from=build --chown=10001:10001 /out/data /data
RUN echo 'parution:x:10001:10001:Parution:/data:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'parution:x:10001:' >> /etc/group
USER 10001:10001
WORKDIR /data
VOLUME /data
# The database and the files (a folder `files` beside it) live in /data.
ENV PARUTION_DATABASE_URL=sqlite:///data/parution.db \
    PARUTION_BIND=0.0.0.0:8080 \
    RUST_LOG=info \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["parution", "health"]
ENTRYPOINT ["parution"]
CMD ["serve"]
