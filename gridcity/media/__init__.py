"""Case photos (案件照片): content-addressed storage, thumbnails and EXIF evidence."""
