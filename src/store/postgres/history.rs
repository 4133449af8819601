//! Verdict history rows: the newest verdict (a small re-check joined to the full record it
//! repeats), appending a verdict with its change event, sequence numbers.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::bridge::Conn;
use super::{get, schema, sql_id, TxError, TxResult};
use crate::store::{decode, encode, Again, StoredCheck, VerdictRecord};
use crate::verify::Verdict;

pub(super) fn next_id(conn: &Conn<'_>, sequence: &str) -> TxResult<u64> {
    let rows = conn.query(&format!("SELECT nextval('{sequence}')"), vec![])?;
    let id: i64 = rows.first().map_or(Ok(0), |row| get(row, 0))?;
    Ok(id.unsigned_abs())
}

/// A history row as a full record: a re-check stored small is the record it repeats.
pub(super) fn expand(
    conn: &Conn<'_>,
    claim_id: &str,
    seq: i64,
    data: &str,
) -> TxResult<(VerdictRecord, u64)> {
    match StoredCheck::decode(claim_id, data.as_bytes())? {
        StoredCheck::Full(record) => Ok((*record, seq.unsigned_abs())),
        StoredCheck::Again(again) => {
            let rows = conn.query(
                "SELECT data FROM verdicts WHERE claim_id = $1 AND seq = $2",
                vec![
                    Box::new(claim_id.to_string()),
                    Box::new(sql_id(again.same_as)?),
                ],
            )?;
            let Some(row) = rows.first() else {
                return Err(TxError::Store(
                    again.dangling(claim_id, "table verdicts".into()),
                ));
            };
            let full: VerdictRecord =
                decode("verdicts", claim_id, get::<&str>(row, 0)?.as_bytes())?;
            Ok((again.repeating(full), again.same_as))
        }
    }
}

/// A claim's newest history row, with the full record it repeats when it is a re-check:
/// one statement, so one snapshot.
pub(super) const LATEST: &str = "SELECT v.seq, v.data, f.data FROM \
    (SELECT seq, data FROM verdicts WHERE claim_id = $1 ORDER BY seq DESC LIMIT 1) v \
    LEFT JOIN verdicts f ON f.claim_id = $1 AND f.seq = (v.data::jsonb ->> 'same_as')::bigint";

/// The claim's newest verdict and the sequence number of the full record it stands on.
pub(super) fn latest(conn: &Conn<'_>, claim_id: &str) -> TxResult<Option<(VerdictRecord, u64)>> {
    let rows = conn.query(LATEST, vec![Box::new(claim_id.to_string())])?;
    latest_from(claim_id, &rows)
}

/// Decodes the answer to [`LATEST`].
pub(super) fn latest_from(claim_id: &str, rows: &[Row]) -> TxResult<Option<(VerdictRecord, u64)>> {
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let (seq, data): (i64, &str) = (get(row, 0)?, get(row, 1)?);
    let again = match StoredCheck::decode(claim_id, data.as_bytes())? {
        StoredCheck::Full(record) => return Ok(Some((*record, seq.unsigned_abs()))),
        StoredCheck::Again(again) => again,
    };
    let Some(full) = get::<Option<&str>>(row, 2)? else {
        return Err(TxError::Store(
            again.dangling(claim_id, "table verdicts".into()),
        ));
    };
    let full: VerdictRecord = decode("verdicts", claim_id, full.as_bytes())?;
    Ok(Some((again.repeating(full), again.same_as)))
}

/// Appends `verdict` to the claim's history (small when it repeats the last finding), with
/// its change event; the record as written, and the sequence number of the full record it
/// stands on (its own, or the one it repeats).
pub(super) fn append_verdict(
    conn: &Conn<'_>,
    claim_id: &str,
    verdict: &Verdict,
    at: DateTime<Utc>,
) -> TxResult<(VerdictRecord, u64)> {
    let previous = latest(conn, claim_id)?;
    let record = VerdictRecord::after(
        previous.as_ref().map(|p| &p.0),
        claim_id,
        verdict.clone(),
        at,
    );
    let seq = next_id(conn, "ids")?;
    let (stored, stands_on) = match &previous {
        Some((p, same_as)) if p.verdict.same_finding(&record.verdict) => (
            encode(&StoredCheck::Again(Again {
                checked_at: at,
                same_as: *same_as,
            })),
            *same_as,
        ),
        _ => (encode(&record), seq),
    };
    insert_row(conn, claim_id, seq, &stored)?;
    if record.change.is_some() && previous.is_some() {
        append_event(conn, &record, previous.as_ref().map(|p| &p.0))?;
    }
    Ok((record, stands_on))
}

/// Appends a compact "checked again at `at`" row repeating the full record `same_as`.
pub(super) fn append_again(
    conn: &Conn<'_>,
    claim_id: &str,
    same_as: u64,
    at: DateTime<Utc>,
) -> TxResult<()> {
    let seq = next_id(conn, "ids")?;
    let again = StoredCheck::Again(Again {
        checked_at: at,
        same_as,
    });
    insert_row(conn, claim_id, seq, &encode(&again))
}

fn insert_row(conn: &Conn<'_>, claim_id: &str, seq: u64, stored: &[u8]) -> TxResult<()> {
    conn.query(
        "INSERT INTO verdicts (claim_id, seq, data) VALUES ($1, $2, $3)",
        vec![
            Box::new(claim_id.to_string()),
            Box::new(sql_id(seq)?),
            Box::new(String::from_utf8_lossy(stored).into_owned()),
        ],
    )?;
    Ok(())
}

pub(super) fn append_event(
    conn: &Conn<'_>,
    record: &VerdictRecord,
    previous: Option<&VerdictRecord>,
) -> TxResult<()> {
    // Held to commit: change events commit in the order of their numbers.
    conn.query(
        "SELECT pg_advisory_xact_lock($1)",
        vec![Box::new(schema::CHANGES_LOCK)],
    )?;
    let seq = next_id(conn, "change_seq")?;
    let Some(event) = record.event(previous, seq) else {
        return Ok(());
    };
    conn.query(
        "INSERT INTO changes (seq, at, data) VALUES ($1, $2, $3)",
        vec![
            Box::new(sql_id(seq)?),
            Box::new(event.at),
            Box::new(String::from_utf8_lossy(&encode(&event)).into_owned()),
        ],
    )?;
    Ok(())
}
