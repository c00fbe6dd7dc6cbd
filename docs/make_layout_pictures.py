"""Render the pictures of ``docs/layouts.md`` with the real geometry and compositor.

    python docs/make_layout_pictures.py

Writes ``docs/img/*.png`` (320x180 canvases, so every pixel is the layout's own geometry,
not a downscaled one). Sources are synthetic: cameras are 4:3 cards, screens 16:9 slides.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recorder.engine.layout import LayoutPlan, LiveStream, StreamKey, compute_placements
from recorder.engine.layout.compositor import Compositor
from recorder.engine.spec import (
    Canvas,
    CustomLayout,
    LayoutMode,
    LayoutSpec,
    Region,
    RenderMode,
    SourceCrop,
    StreamRef,
    StreamType,
)

OUT = Path(__file__).resolve().parent / "img"
CANVAS = (320, 180)
CAMERA_SIZE = (640, 480)
SCREEN_SIZE = (1280, 720)
PALETTE = [
    (230, 76, 60), (46, 160, 90), (52, 120, 219), (240, 180, 40), (155, 89, 182), (26, 188, 156),
    (230, 126, 34), (90, 110, 130), (200, 60, 120), (120, 170, 40), (40, 90, 160), (180, 140, 90),
    (100, 60, 200), (20, 140, 140), (210, 90, 90), (60, 160, 210), (150, 150, 40),
]  # fmt: skip
LABEL_FONT_PX = 160


def card(label: str, colour: tuple[int, int, int], size: tuple[int, int], screen: bool) -> Image.Image:
    """A recognisable source frame: a coloured card (camera) or a striped slide (screen)."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    width, height = size
    if screen:
        for y in range(0, height, height // 6):
            draw.rectangle((0, y, width, y + height // 24), fill=(255, 255, 255))
    draw.rectangle((0, 0, width - 1, height - 1), outline=(255, 255, 255), width=max(2, width // 80))
    font = ImageFont.load_default(size=LABEL_FONT_PX)
    draw.text((width // 2, height // 2), label, fill=(255, 255, 255), font=font, anchor="mm")
    return image


def streams(count: int, screens: Sequence[int] = ()) -> list[LiveStream]:
    result = []
    for slot in range(count):
        kind = StreamType.SCREEN if slot in screens else StreamType.CAMERA
        size = SCREEN_SIZE if kind is StreamType.SCREEN else CAMERA_SIZE
        result.append(LiveStream((f"{slot + 1}", kind), slot, frame_size=size, index=slot))
    return result


def frames_for(live: Sequence[LiveStream]) -> dict[StreamKey, Image.Image]:
    return {
        s.key: card(s.key[0], PALETTE[s.publish_seq % len(PALETTE)], s.frame_size or CAMERA_SIZE, s.is_screen)
        for s in live
    }


def save(
    name: str, plan: LayoutPlan, live: Sequence[LiveStream], background_image: Image.Image | None = None
) -> None:
    with Compositor(plan, background_image=background_image, resize_workers=0) as compositor:
        picture = compositor.compose_image(frames_for(live))
    picture.save(OUT / f"{name}.png", optimize=True)
    sys.stdout.write(f"docs/img/{name}.png\n")


def automatic(name: str, mode: LayoutMode, live: list[LiveStream], main: StreamRef | None = None) -> None:
    plan = compute_placements(LayoutSpec(mode=mode, main_video_stream=main), CANVAS, live)
    save(name, plan, live)


def custom_example() -> None:
    """Overlap, alpha, rounded corners, a clipped region, fit bars and a SourceCrop."""
    canvas = Canvas(*CANVAS, background="#203040", background_image="docs://gradient")
    regions = (
        Region(0, 0, 0, 200, 180, render_mode=RenderMode.FIT),
        Region(1, 150, 20, 120, 90, z_order=2, alpha=0.6, corner_radius=0.05),
        Region(2, 250, 100, 100, 100, z_order=1, corner_radius=0.1, render_mode=RenderMode.CROP),
        Region(3, 20, 120, 80, 50, z_order=3, corner_radius=0.03, source_crop=SourceCrop(0.5, 0.0, 0.5, 0.5)),
    )
    live = streams(4, screens=(0,))
    targets = [StreamRef(*s.key, index=s.index or 0) for s in live]
    layout = LayoutSpec(mode=LayoutMode.CUSTOM, custom=CustomLayout(canvas, regions))
    plan = compute_placements(layout, CANVAS, live, targets=targets)
    gradient = Image.linear_gradient("L").resize(CANVAS).convert("RGB")
    save("custom", plan, live, background_image=gradient)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for count in (1, 2, 3, 5, 17):
        automatic(f"grid-{count}", LayoutMode.ADAPTIVE_GRID, streams(count))
    automatic("grid-2-screen", LayoutMode.ADAPTIVE_GRID, streams(2, screens=(1,)))
    main_ref = StreamRef("1")
    automatic("vertical-3", LayoutMode.VERTICAL, streams(4), main_ref)
    automatic("vertical-9", LayoutMode.VERTICAL, streams(10), main_ref)
    automatic("vertical-no-main", LayoutMode.VERTICAL, streams(4)[1:], main_ref)
    automatic("side-by-side-5", LayoutMode.SIDE_BY_SIDE, streams(6, screens=(3,)))
    custom_example()


if __name__ == "__main__":
    main()
