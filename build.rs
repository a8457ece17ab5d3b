//! Turns on the PostgreSQL half of the test suite when a test server is
//! named (and the S3 storage tests when an S3-compatible server is), so
//! that a plain `cargo test` lists those tests as ignored (with the
//! reason) rather than passing them silently.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(s3_tests)");
    println!("cargo::rerun-if-env-changed=PARUTION_TEST_S3_URL");
    if std::env::var("PARUTION_TEST_S3_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=s3_tests");
    }
    println!("cargo::rerun-if-env-changed=PARUTION_TEST_DATABASE_URL");
    if std::env::var("PARUTION_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
