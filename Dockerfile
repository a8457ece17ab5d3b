# Build: libpq, OpenSSL and SQLite are compiled from source into the binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
RUN cargo build --release --locked && strip target/release/parution

# Run: the binary needs only the C library, and curl for the health check.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data parution \
    && mkdir /data && chown parution /data
COPY --from=build /src/target/release/parution /usr/local/bin/parution
USER parution
WORKDIR /data
VOLUME /data
ENV PARUTION_DATABASE_URL=sqlite:///data/parution.db \
    PARUTION_BIND=0.0.0.0:8080 \
    RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl --fail --silent --output /dev/null http://127.0.0.1:8080/ready || exit 1
ENTRYPOINT ["parution"]
CMD ["serve"]
