-- Business hours in an IANA time zone (daylight saving included) instead of a fixed UTC offset.
-- Offsets become the zone that keeps them exactly: UTC, Etc/GMT-N for whole hours (the sign is
-- reversed in those names), the only zone at a half-hour offset where there is one; any other
-- offset stays fixed as 'UTC+HH:MM' until an owner chooses a zone.
ALTER TABLE organisations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
UPDATE organisations SET time_zone = CASE
    WHEN utc_offset_minutes = 0 THEN 'UTC'
    WHEN utc_offset_minutes % 60 = 0 THEN
        'Etc/GMT' || CASE WHEN utc_offset_minutes > 0 THEN '-' ELSE '+' END || CAST(ABS(utc_offset_minutes) / 60 AS TEXT)
    WHEN utc_offset_minutes = 210 THEN 'Asia/Tehran'
    WHEN utc_offset_minutes = 270 THEN 'Asia/Kabul'
    WHEN utc_offset_minutes = 330 THEN 'Asia/Kolkata'
    WHEN utc_offset_minutes = 390 THEN 'Asia/Yangon'
    WHEN utc_offset_minutes = 570 THEN 'Australia/Darwin'
    WHEN utc_offset_minutes = -570 THEN 'Pacific/Marquesas'
    ELSE 'UTC' || CASE WHEN utc_offset_minutes > 0 THEN '+' ELSE '-' END
        || printf('%02d:%02d', ABS(utc_offset_minutes) / 60, ABS(utc_offset_minutes) % 60)
END;
