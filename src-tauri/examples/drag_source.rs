//! A window that lets a file be dragged out of it, as a file manager does: the desktop
//! end-to-end test presses on it with xdotool and drops the file on Hearth's window,
//! which is the only way to exercise a real drop under Xvfb (X has no drag source of its
//! own and WebDriver cannot start a native drag).
//!
//!   drag_source FILE X Y    (a 160×100 window at X,Y offering FILE as text/uri-list)

#[cfg(target_os = "linux")]
fn main() {
    use gtk::prelude::*;
    use gtk::{gdk, glib};

    let mut args = std::env::args().skip(1);
    let (Some(file), Some(x), Some(y)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: drag_source FILE X Y");
        std::process::exit(2);
    };
    let (Ok(x), Ok(y)) = (x.parse::<i32>(), y.parse::<i32>()) else {
        eprintln!("X and Y must be whole numbers of pixels");
        std::process::exit(2);
    };
    let path = std::path::absolute(&file).unwrap_or_else(|_| file.clone().into());
    let uri = match glib::filename_to_uri(&path, None) {
        Ok(uri) => uri.to_string(),
        Err(error) => {
            eprintln!("{file} has no file URI: {error}");
            std::process::exit(2);
        }
    };
    if let Err(error) = gtk::init() {
        eprintln!("no display to open a window on: {error}");
        std::process::exit(1);
    }

    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.set_title("Hearth drag source");
    window.set_default_size(160, 100);
    window.move_(x, y);
    // An event box rather than a button: a button would take the press for itself.
    let handle = gtk::EventBox::new();
    handle.add(&gtk::Label::new(path.file_name().and_then(|n| n.to_str())));
    handle.drag_source_set(gdk::ModifierType::BUTTON1_MASK, &[], gdk::DragAction::COPY);
    handle.drag_source_add_uri_targets();
    handle.connect_drag_data_get(move |_, _, data, _, _| {
        data.set_uris(&[uri.as_str()]);
    });
    handle.connect_drag_end(|_, _| println!("dropped"));
    window.add(&handle);
    window.connect_destroy(|_| gtk::main_quit());
    window.show_all();
    println!("ready");
    gtk::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the drag source is for the Linux end-to-end test (X11 under Xvfb)");
    std::process::exit(2);
}
