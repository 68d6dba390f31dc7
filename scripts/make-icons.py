#!/usr/bin/env python3
"""Draws Hearth's app icon (a flame on a warm rounded square) and writes every size
Tauri's bundler needs into icons/: PNGs for Linux and the window, .ico for Windows,
.icns for macOS. Needs Pillow (`pip install pillow`); the outputs are committed, so
building the app does not need this script.
"""
import math
import pathlib
import sys

from PIL import Image, ImageDraw, ImageFilter

SIZE = 1024
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "icons")


def flame(cx, base, height, width):
    """A teardrop: round at the bottom, a pointed tip leaning slightly right."""
    points = []
    for i in range(361):
        t = math.radians(i)
        # x = sin t, y = cos t shaped so the top narrows to a point
        x = math.sin(t) * (1 - math.cos(t)) / 2 * 1.15
        y = -math.cos(t)
        lean = (y + 1) / 2 * 0.08
        points.append((cx + (x + lean) * width, base - (1 - y) / 2 * height))
    return points


def draw(size=SIZE):
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    s = size / SIZE
    pen.rounded_rectangle((40 * s, 40 * s, 984 * s, 984 * s), radius=220 * s, fill=(43, 30, 26, 255))
    pen.ellipse((250 * s, 760 * s, 774 * s, 860 * s), fill=(80, 50, 38, 255))
    pen.polygon(flame(512 * s, 840 * s, 700 * s, 520 * s), fill=(232, 93, 36, 255))
    pen.polygon(flame(512 * s, 830 * s, 470 * s, 330 * s), fill=(247, 160, 44, 255))
    pen.polygon(flame(512 * s, 820 * s, 250 * s, 170 * s), fill=(255, 225, 120, 255))
    return image.filter(ImageFilter.SMOOTH)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    sizes = {"32x32.png": 32, "64x64.png": 64, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
    for name, px in sizes.items():
        big.resize((px, px), Image.LANCZOS).save(OUT / name)
    big.save(OUT / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    big.save(OUT / "icon.icns")
    print(f"wrote {len(sizes) + 2} icons to {OUT}")


if __name__ == "__main__":
    main()
