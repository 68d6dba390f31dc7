//! Reads tauri.conf.json and the capabilities (only the commands the UI calls are
//! allowed), checks the icons, and embeds the built web UI (`ui/dist`, from `npm --prefix
//! ui run build`) into the binary. The binary finds llama.cpp's libraries beside itself
//! (the build folder) or in `../lib/hearth` (the .deb and AppImage layout).

fn main() {
    #[cfg(target_os = "linux")]
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/hearth");
    #[cfg(target_os = "macos")]
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,@executable_path");
    let commands = tauri_build::AppManifest::new().commands(&[
        "api_request",
        "api_stream",
        "api_cancel",
        "api_text",
        "pick_documents",
        "pick_folder",
        "pick_gguf",
        "save_file",
        "notify_finished",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands))
        .expect("tauri.conf.json, the capabilities or the icons are invalid");
}
