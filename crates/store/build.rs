//! `embed_migrations!` (src/migrate.rs) reads the migrations directories at compile time, but
//! cargo does not know it: without this, a new migration is left out of the next build until
//! some source file of this crate changes (diesel_migrations' documentation asks for it).

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
