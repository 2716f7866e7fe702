import ClipCutCore
import Foundation
import Logging
import PostgresNIO

/// Transcripts, full-text search and figures.
extension PostgresHistoryStore {
    /// Replaces a video's transcript with `cues` (a newer captions event wins), if the video is
    /// in the history. Each cue is a row whose `document` column PostgreSQL indexes (GIN).
    func storeTranscript(_ cues: [CaptionCue], of videoId: VideoID, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM transcript_cues WHERE video_id = \(videoId.uuid)", logger: logger)
        guard !cues.isEmpty else { return }
        let starts = cues.map(\.start), ends = cues.map(\.end)
        let texts = cues.map { $0.text.replacingOccurrences(of: "\u{0}", with: "") }
        try await connection.query(
            """
            INSERT INTO transcript_cues (video_id, seq, start_seconds, end_seconds, text)
            SELECT \(videoId.uuid), cue.seq::int, cue.start_seconds, cue.end_seconds, cue.text
            FROM unnest(\(starts)::float8[], \(ends)::float8[], \(texts)::text[]) WITH ORDINALITY AS cue(start_seconds, end_seconds, text, seq)
            WHERE EXISTS (SELECT 1 FROM uploads WHERE video_id = \(videoId.uuid))
            """, logger: logger)
    }

    func search(_ query: TranscriptQuery) async throws -> [TranscriptMatch] {
        // websearch_to_tsquery accepts any text (quotes, `or`, `-`, stray operators) without a
        // syntax error; a query of only stop words matches nothing.
        let rows = try await client.query(
            """
            WITH hits AS (
                SELECT c.video_id, c.start_seconds, c.end_seconds, c.text, ts_rank(c.document, q.query) AS rank
                FROM transcript_cues c JOIN uploads u ON u.video_id = c.video_id,
                     websearch_to_tsquery('english', \(query.text)) AS q(query)
                WHERE u.owner = \(query.owner.uuid) AND c.document @@ q.query
            ), best AS (
                SELECT video_id, max(rank) AS rank FROM hits GROUP BY video_id ORDER BY 2 DESC, 1 LIMIT \(query.limit)
            ), ranked AS (
                SELECT h.*, row_number() OVER (PARTITION BY h.video_id ORDER BY h.rank DESC, h.start_seconds) AS n FROM hits h
            )
            SELECT r.video_id, u.title, u.duration_seconds, r.start_seconds, r.end_seconds, r.text
            FROM ranked r JOIN best b ON b.video_id = r.video_id JOIN uploads u ON u.video_id = r.video_id
            WHERE r.n <= \(query.cuesPerVideo)
            ORDER BY b.rank DESC, r.video_id, r.start_seconds
            """, logger: logger)
        var matches: [TranscriptMatch] = []
        for try await (video, title, duration, start, end, text) in rows.decode((UUID, String, Double?, Double, Double, String).self) {
            let cue = TranscriptMatch.Cue(start: start, end: end, text: text)
            if let last = matches.indices.last, matches[last].videoId.uuid == video {
                matches[last].cues.append(cue)
            } else {
                matches.append(TranscriptMatch(videoId: VideoID(uuid: video), title: title, durationSeconds: duration, cues: [cue]))
            }
        }
        return matches
    }

    /// Every upload the stats count: those in the history and the anonymous figures of deleted ones.
    static let everyUploadSQL = """
        (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, size, status AS outcome, duration_seconds,
                CASE WHEN status = 'ready' AND ready_at IS NOT NULL THEN extract(epoch FROM ready_at - created_at)::float8 END AS seconds_to_ready,
                \(queueWaitSQL) AS queue_wait,
                transcription_rtf
         FROM uploads
         UNION ALL
         SELECT day, size, outcome, duration_seconds, seconds_to_ready, queue_wait, transcription_rtf FROM deleted_upload_counts) AS every_upload
        """

    func stats(days: Int) async throws -> UploadStats {
        var perDay: [UploadStats.Day] = []
        var dayQuery = PostgresQuery(unsafeSQL: """
            SELECT to_char(day, 'YYYY-MM-DD'), count(*)::int, coalesce(sum(size), 0)::bigint,
                   count(*) FILTER (WHERE outcome = 'ready')::int, count(*) FILTER (WHERE outcome = 'failed')::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN duration_seconds > 0 THEN seconds_to_ready / (duration_seconds / 60.0) END),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN queue_wait >= 0 THEN queue_wait END),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY transcription_rtf)
            FROM \(Self.everyUploadSQL)
            WHERE day >= (now() AT TIME ZONE 'UTC')::date - $1::int
            GROUP BY day ORDER BY day
            """)
        dayQuery.binds.append(days - 1)
        let dayRows = try await client.query(dayQuery, logger: logger)
        for try await (day, uploads, bytes, ready, failed, perMinute, wait, factor) in dayRows.decode(
            (String, Int, Int64, Int, Int, Double?, Double?, Double?).self
        ) {
            perDay.append(.init(
                day: day, uploads: uploads, bytes: bytes, ready: ready, failed: failed,
                medianSecondsPerMinute: perMinute, medianQueueWaitSeconds: wait, medianTranscriptionRealTimeFactor: factor))
        }
        var totals = UploadStats.Totals(uploads: 0, bytes: 0, ready: 0, failed: 0, inFlight: 0)
        let totalRows = try await client.query(
            """
            SELECT count(*)::int, coalesce(sum(size), 0)::bigint, count(*) FILTER (WHERE outcome = 'ready')::int,
                   count(*) FILTER (WHERE outcome = 'failed')::int,
                   count(*) FILTER (WHERE outcome NOT IN ('ready', 'failed', 'unfinished'))::int
            FROM \(unescaped: Self.everyUploadSQL)
            """, logger: logger)
        for try await (uploads, bytes, ready, failed, inFlight) in totalRows.decode((Int, Int64, Int, Int, Int).self) {
            totals = .init(uploads: uploads, bytes: bytes, ready: ready, failed: failed, inFlight: inFlight,
                           successRate: ready + failed > 0 ? Double(ready) / Double(ready + failed) : nil)
        }
        var processing = UploadStats.ProcessingTime(videos: 0)
        let timeRows = try await client.query(
            """
            SELECT count(*)::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY per_minute), percentile_cont(0.95) WITHIN GROUP (ORDER BY per_minute)
            FROM (SELECT seconds_to_ready / (duration_seconds / 60.0) AS per_minute
                  FROM \(unescaped: Self.everyUploadSQL) WHERE seconds_to_ready IS NOT NULL AND duration_seconds > 0) AS done
            """, logger: logger)
        for try await (videos, median, p95) in timeRows.decode((Int, Double?, Double?).self) {
            processing = .init(videos: videos, medianSecondsPerMinute: median, p95SecondsPerMinute: p95)
        }
        return UploadStats(perDay: perDay, totals: totals, processing: processing)
    }
}
