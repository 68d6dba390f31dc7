//! The binary finds llama.cpp's shared libraries next to itself (`$ORIGIN`), so it
//! runs from target/ or an install folder without LD_LIBRARY_PATH.

fn main() {
    #[cfg(target_os = "linux")]
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN");
    #[cfg(target_os = "macos")]
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,@executable_path");
}
