"""The clinic's schema as versioned migrations (sqlite-utils), written in SQLite's dialect; the PostgreSQL store
applies the same migrations with their DDL translated."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("clinic-kiosk")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE patients (
            id INTEGER PRIMARY KEY,
            patient_code TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            date_of_birth TEXT,
            dob_precision TEXT NOT NULL DEFAULT 'day',
            sex TEXT,
            id_number TEXT UNIQUE,
            card_number TEXT,
            address TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX patients_card ON patients(card_number);

        CREATE TABLE card_checks (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER REFERENCES patients(id),
            card_number TEXT NOT NULL,
            result_code TEXT,
            decision TEXT NOT NULL,
            response_json TEXT NOT NULL DEFAULT '{}',
            checked_at TEXT NOT NULL,
            staff_username TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX card_checks_patient ON card_checks(patient_id, checked_at);

        CREATE TABLE queue_counters (
            day TEXT NOT NULL,
            department_code TEXT NOT NULL,
            last_number INTEGER NOT NULL,
            PRIMARY KEY (day, department_code)
        );

        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            day TEXT NOT NULL,
            department_code TEXT NOT NULL,
            number INTEGER NOT NULL,
            room TEXT NOT NULL DEFAULT '',
            service TEXT NOT NULL DEFAULT '',
            priority TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'waiting',
            issued_at TEXT NOT NULL,
            called_at TEXT,
            station TEXT NOT NULL DEFAULT '',
            UNIQUE (day, department_code, number),
            UNIQUE (day, department_code, patient_id)
        );
        CREATE INDEX tickets_queue ON tickets(day, department_code, status);

        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            ma_lk TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            ticket_id INTEGER REFERENCES tickets(id),
            status TEXT NOT NULL DEFAULT 'draft',
            started_at TEXT NOT NULL,
            finalised_at TEXT,
            data_json TEXT NOT NULL DEFAULT '{}',
            UNIQUE (ma_lk, version)
        );
        CREATE INDEX visits_patient ON visits(patient_id, started_at);

        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            cccd TEXT NOT NULL,
            role TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            password_hash TEXT NOT NULL DEFAULT '',
            pin_hash TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );

        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            patient_ref TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );

        CREATE TABLE healthbook_cache (
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            source TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            payload_json TEXT NOT NULL,
            PRIMARY KEY (patient_id, source)
        );
        """
    )


@migrations()
def m002_installation(db: sqlite_utils.Database) -> None:
    """Per-installation values shared by every station on this store (e.g. the slip-signing key)."""
    db.execute("CREATE TABLE installation (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m003_ticket_card_status(db: sqlite_utils.Database) -> None:
    """Check-in works while the gateway is down: the card check is then pending and retried."""
    db.executescript(
        """
        ALTER TABLE tickets ADD COLUMN card_decision TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN card_pending INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tickets ADD COLUMN recalled_at TEXT;
        CREATE INDEX tickets_pending ON tickets(card_pending) WHERE card_pending = 1;
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            document TEXT NOT NULL,
            ticket_id INTEGER REFERENCES tickets(id),
            visit_id INTEGER REFERENCES visits(id),
            pdf_path TEXT NOT NULL,
            printer TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m004_catalogue_and_outbox(db: sqlite_utils.Database) -> None:
    """The ICD-10 catalogue, and the outbox of documents bound for the BHXH portal."""
    db.executescript(
        """
        CREATE TABLE icd10 (
            code TEXT PRIMARY KEY,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL DEFAULT '',
            name_folded TEXT NOT NULL,
            not_main INTEGER NOT NULL DEFAULT 0,
            sex TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            ma_lk TEXT NOT NULL,
            version INTEGER NOT NULL,
            visit_id INTEGER REFERENCES visits(id),
            payload BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            transaction_id TEXT NOT NULL DEFAULT '',
            received_at TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, ma_lk, version)
        );
        CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
        """
    )


@migrations()
def m005_consent(db: sqlite_utils.Database) -> None:
    """Consent per purpose, as given (never pre-ticked), with the text version, time and channel."""
    db.executescript(
        """
        CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            purpose TEXT NOT NULL,
            granted INTEGER NOT NULL,
            text_version TEXT NOT NULL,
            text_sha256 TEXT NOT NULL,
            channel TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX consents_patient ON consents(patient_id, purpose, recorded_at);
        """
    )


@migrations()
def m006_stations(db: sqlite_utils.Database) -> None:
    """The clinic server's enrolled stations, their pairing codes, staff sessions (by the digest of
    their token; they outlive a server restart), and which offline check-ins have been taken in."""
    db.executescript(
        """
        CREATE TABLE stations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            enrolled_at TEXT NOT NULL,
            last_seen TEXT,
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE pairing_codes (
            code TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE sessions (
            token_sha256 TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            station_id INTEGER NOT NULL REFERENCES stations(id),
            expires_at TEXT NOT NULL
        );
        CREATE TABLE offline_checkins (
            station_id INTEGER NOT NULL REFERENCES stations(id),
            local_id TEXT NOT NULL,
            ticket_id INTEGER REFERENCES tickets(id),
            outcome TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (station_id, local_id)
        );
        """
    )


@migrations()
def m007_print_context(db: sqlite_utils.Database) -> None:
    """Two identifiers on paper: each print job names the patient of its own record and the
    station context (station, user, context number) that printed it. A visit draft names the
    station that has it open, so a second station does not open the same patient unasked."""
    db.executescript(
        """
        ALTER TABLE print_jobs ADD COLUMN patient_id INTEGER REFERENCES patients(id);
        ALTER TABLE print_jobs ADD COLUMN context TEXT NOT NULL DEFAULT '';
        ALTER TABLE visits ADD COLUMN opened_by TEXT NOT NULL DEFAULT '';
        """
    )


@migrations()
def m008_auth_failures(db: sqlite_utils.Database) -> None:
    """Failed passwords, PINs and pairing codes, counted per account, station and client address,
    for the lock-out and back-off (kiosk.security.lockout)."""
    db.executescript(
        """
        CREATE TABLE auth_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locked_until TEXT NOT NULL,
            last_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m009_practising_certificate(db: sqlite_utils.Database) -> None:
    """A staff account's practising-certificate number (số chứng chỉ hành nghề / giấy phép hành nghề), printed
    under the doctor's name on every document the doctor signs."""
    db.executescript(
        """
        ALTER TABLE staff ADD COLUMN practising_cert TEXT NOT NULL DEFAULT '';
        """
    )


@migrations()
def m010_e_prescriptions(db: sqlite_utils.Database) -> None:
    """The clinic's drug catalogue (TT 26/2025: the national drug code the prescription system needs), the
    prescriptions sent to the national prescription system (one per type of a visit) and every prescription code
    ever given (unique forever: a code is never given twice, even after a visit is purged), and a doctor's
    liên thông code on the staff account."""
    db.executescript(
        """
        CREATE TABLE drugs (
            code TEXT PRIMARY KEY,
            bhyt_code TEXT NOT NULL DEFAULT '',
            active_ingredient TEXT NOT NULL,
            trade_name TEXT NOT NULL DEFAULT '',
            strength TEXT NOT NULL DEFAULT '',
            unit TEXT NOT NULL DEFAULT '',
            route TEXT NOT NULL DEFAULT '',
            registration_no TEXT NOT NULL DEFAULT '',
            bhyt_price REAL NOT NULL DEFAULT 0,
            kind TEXT NOT NULL DEFAULT 'c',
            folded TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        CREATE TABLE prescription_codes (
            code TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
        CREATE TABLE prescriptions (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE REFERENCES prescription_codes(code),
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            ma_lk TEXT NOT NULL,
            kind TEXT NOT NULL,
            replaces TEXT NOT NULL DEFAULT '',
            doctor_username TEXT NOT NULL DEFAULT '',
            doctor_code TEXT NOT NULL DEFAULT '',
            body_json TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            errors_json TEXT NOT NULL DEFAULT '',
            checksum TEXT NOT NULL DEFAULT '',
            answer TEXT NOT NULL DEFAULT '',
            sent_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX prescriptions_visit ON prescriptions(visit_id);
        ALTER TABLE staff ADD COLUMN erx_code TEXT NOT NULL DEFAULT '';
        """
    )



@migrations()
def m011_signed_payload(db: sqlite_utils.Database) -> None:
    """The signed bytes of a claim or check-in as they were sent to the BHXH portal (signed at send time, with the
    facility's certificate): a resend sends them again, and an export of a sent claim gives exactly what was sent."""
    db.executescript(
        """
        ALTER TABLE outbox ADD COLUMN signed_payload BLOB;
        """
    )

@migrations()
def m012_price_list(db: sqlite_utils.Database) -> None:
    """The clinic's price list of services (examinations, tests, procedures, supplies) the BHYT claim's XML3 lines
    take their prices from (kiosk/bhxh/prices.py): the DMDC code (MA_DICH_VU), the cost group (MA_NHOM), the price
    BHYT pays on (DON_GIA_BH) and the clinic's own (DON_GIA_BV), whether the fund covers it (PHAM_VI 1, else 2), and
    the date the price is in force from. Drug prices stay in the drug catalogue."""
    db.executescript(
        """
        CREATE TABLE prices (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            ma_nhom INTEGER NOT NULL,
            unit TEXT NOT NULL DEFAULT 'Lần',
            price_bh DOUBLE PRECISION NOT NULL DEFAULT 0,
            price_bv DOUBLE PRECISION NOT NULL DEFAULT 0,
            pham_vi INTEGER NOT NULL DEFAULT 1,
            kind TEXT NOT NULL,
            valid_from TEXT NOT NULL DEFAULT '',
            folded TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        """
    )


SCHEMA_VERSION = len(migrations._migrations)
