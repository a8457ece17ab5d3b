//! Files the project makes itself, for the demo content and the tests: a
//! PDF report of a few pages and a cover image, generated rather than
//! fetched.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// A PDF of `pages` pages, each with `title` and a line of text.
pub fn pdf(title: &str, pages: usize) -> Vec<u8> {
    report(title, &[], pages)
}

/// A PDF of `pages` pages, each with `title`, the `lines` and its number.
/// Text is WinAnsi-encoded, so French accents print.
pub fn report(title: &str, lines: &[&str], pages: usize) -> Vec<u8> {
    let escape = |text: &str| -> Vec<u8> {
        let mut out = Vec::new();
        for character in text.chars() {
            match character {
                '(' | ')' | '\\' => out.extend_from_slice(&[b'\\', character as u8]),
                character if character.is_ascii() => out.push(character as u8),
                // Latin-1 characters have the same code in WinAnsi.
                character if (character as u32) < 256 => out.push(character as u32 as u8),
                '’' => out.push(0x92),
                '«' => out.push(0xab),
                '»' => out.push(0xbb),
                _ => out.push(b'?'),
            }
        }
        out
    };
    let pages = pages.max(1);
    // Objects: 1 catalogue, 2 page tree, 3 font, then a page and its
    // content for each page.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..pages).map(|page| format!("{} 0 R", 4 + page * 2)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    for page in 0..pages {
        let mut content = b"BT /F1 16 Tf 56 760 Td (".to_vec();
        content.extend(escape(title));
        content.extend_from_slice(b") Tj /F1 11 Tf");
        for line in lines {
            content.extend_from_slice(b" 0 -22 Td (");
            content.extend(escape(line));
            content.extend_from_slice(b") Tj");
        }
        content.extend_from_slice(b" 0 -40 Td (");
        content.extend(escape(&format!("Page {} sur {pages} — document de démonstration de Parution.", page + 1)));
        content.extend_from_slice(b") Tj ET");
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + page * 2
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend(content);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", index + 1).into_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).into_bytes(),
    );
    pdf
}

/// A cover image, `width` × `height` pixels: bands of the ministry's blue
/// and a light rule, as PNG.
pub fn cover_png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        let band = (u64::from(y) * 5 / u64::from(height.max(1))) as u8;
        let shade = (u64::from(x) * 40 / u64::from(width.max(1))) as u8;
        if y.abs_diff(height * 2 / 3) < height / 60 + 1 {
            Rgb([240, 240, 245])
        } else {
            Rgb([0, 0x29 + band * 8 + shade / 2, 0x91 + shade])
        }
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("a PNG is written to memory");
    bytes
}

/// The same, as JPEG.
pub fn cover_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::load_from_memory(&cover_png(width, height)).expect("the PNG just made reads back");
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg).expect("a JPEG is written to memory");
    bytes
}
