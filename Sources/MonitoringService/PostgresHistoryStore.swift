import ClipCutCore
import Foundation
import Logging
import PostgresMigrations
import PostgresNIO

/// ``HistoryStore`` in PostgreSQL: `upload_events` (every event once, by `event_id`) and
/// `uploads` (one row per video, moved only forward). Every value is a bound parameter.
struct PostgresHistoryStore: HistoryStore {
    let client: PostgresClient
    let logger: Logger

    static let migrator = PostgresMigrator(component: "monitoring", migrations: [
        PostgresMigration(version: 1, name: "create uploads and upload_events", statements: [
            """
            CREATE TABLE uploads (
                video_id UUID PRIMARY KEY,
                owner UUID NOT NULL,
                title TEXT NOT NULL DEFAULT '',
                filename TEXT NOT NULL DEFAULT '',
                size BIGINT NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                failure_reason TEXT,
                duration_seconds DOUBLE PRECISION,
                source_width INT,
                source_height INT,
                renditions TEXT[] NOT NULL DEFAULT '{}',
                captions TEXT,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                transcribing_at TIMESTAMPTZ,
                transcoding_at TIMESTAMPTZ,
                ready_at TIMESTAMPTZ,
                failed_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX uploads_owner_created ON uploads (owner, created_at DESC, video_id DESC)",
            "CREATE INDEX uploads_created ON uploads (created_at DESC, video_id DESC)",
            """
            CREATE TABLE upload_events (
                event_id UUID PRIMARY KEY,
                video_id UUID,
                type TEXT NOT NULL,
                at TIMESTAMPTZ NOT NULL,
                message TEXT NOT NULL,
                recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX upload_events_video ON upload_events (video_id, at)",
        ]),
        PostgresMigration(version: 2, name: "create transcript_cues with a full-text index", statements: [
            """
            CREATE TABLE transcript_cues (
                video_id UUID NOT NULL REFERENCES uploads (video_id) ON DELETE CASCADE,
                seq INT NOT NULL,
                start_seconds DOUBLE PRECISION NOT NULL,
                end_seconds DOUBLE PRECISION NOT NULL,
                text TEXT NOT NULL,
                document TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
                PRIMARY KEY (video_id, seq)
            )
            """,
            "CREATE INDEX transcript_cues_document ON transcript_cues USING GIN (document)",
        ]),
        PostgresMigration(version: 3, name: "anonymous counts of deleted uploads", statements: [
            // What the stats need of a deleted upload and nothing that tells whose or what it was:
            // no ids, titles, file names or exact times.
            """
            CREATE TABLE deleted_upload_counts (
                day DATE NOT NULL,
                size BIGINT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('ready', 'failed', 'unfinished')),
                duration_seconds DOUBLE PRECISION,
                seconds_to_ready DOUBLE PRECISION
            )
            """,
        ]),
        PostgresMigration(version: 4, name: "playable_at: when a video first played while processing", statements: [
            "ALTER TABLE uploads ADD COLUMN playable_at TIMESTAMPTZ",
        ]),
        PostgresMigration(version: 5, name: "tombstones of deleted videos and users", statements: [
            // Deletion wins over an event that comes after it (delivery is at-least-once and
            // unordered; upload-service's outbox may publish `video.uploaded` again): see
            // `isOfDeleted`. Ids and the deletion's time only, which the ledger has anyway.
            // `counted`: the video's anonymous figures are in `deleted_upload_counts`.
            """
            CREATE TABLE deleted_videos (
                video_id UUID PRIMARY KEY,
                deleted_at TIMESTAMPTZ NOT NULL,
                counted BOOLEAN NOT NULL
            )
            """,
            """
            CREATE TABLE deleted_users (
                user_id UUID PRIMARY KEY,
                deleted_at TIMESTAMPTZ NOT NULL
            )
            """,
            // The deletions the ledger already holds. A deleted video was counted when its upload
            // was recorded before its deletion.
            """
            INSERT INTO deleted_videos (video_id, deleted_at, counted)
            SELECT d.video_id, d.at, EXISTS (
                SELECT 1 FROM upload_events u WHERE u.video_id = d.video_id AND u.type = 'video.uploaded' AND u.recorded_at < d.recorded_at)
            FROM (SELECT DISTINCT ON (video_id) video_id, at, recorded_at FROM upload_events
                  WHERE type = 'video.deleted' AND video_id IS NOT NULL ORDER BY video_id, recorded_at) AS d
            """,
            // `user.deleted` has no video id, so its message (the user id) was kept.
            """
            INSERT INTO deleted_users (user_id, deleted_at)
            SELECT d.id::uuid, min(d.at) FROM (
                SELECT CASE WHEN message <> '' THEN message::jsonb ->> 'userId' END AS id, at
                FROM upload_events WHERE type = 'user.deleted') AS d
            WHERE d.id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            GROUP BY d.id
            """,
            // What late events brought back before this migration: a deleted user's uploads get
            // tombstones, figures are kept of those not counted yet, then the rows (their
            // transcripts with them) and what the ledger's messages say of them go.
            """
            INSERT INTO deleted_videos (video_id, deleted_at, counted)
            SELECT up.video_id, du.deleted_at, false FROM uploads up JOIN deleted_users du ON du.user_id = up.owner
            ON CONFLICT (video_id) DO NOTHING
            """,
            """
            INSERT INTO deleted_upload_counts (day, size, outcome, duration_seconds, seconds_to_ready)
            SELECT (created_at AT TIME ZONE 'UTC')::date, size,
                   CASE WHEN status IN ('ready', 'failed') THEN status ELSE 'unfinished' END, duration_seconds,
                   CASE WHEN status = 'ready' AND ready_at IS NOT NULL THEN extract(epoch FROM ready_at - created_at)::float8 END
            FROM uploads WHERE video_id IN (SELECT video_id FROM deleted_videos WHERE NOT counted)
            """,
            "UPDATE deleted_videos SET counted = true WHERE NOT counted AND video_id IN (SELECT video_id FROM uploads)",
            "UPDATE upload_events SET message = '' WHERE message <> '' AND video_id IN (SELECT video_id FROM deleted_videos)",
            "DELETE FROM uploads WHERE video_id IN (SELECT video_id FROM deleted_videos)",
        ]),
        PostgresMigration(version: 6, name: "transcription real-time factor and the time of a retry", statements: [
            "ALTER TABLE uploads ADD COLUMN transcription_rtf DOUBLE PRECISION",
            "ALTER TABLE uploads ADD COLUMN retried_at TIMESTAMPTZ",
            // Kept for the figures when the upload is deleted, like the others.
            "ALTER TABLE deleted_upload_counts ADD COLUMN queue_wait DOUBLE PRECISION",
            "ALTER TABLE deleted_upload_counts ADD COLUMN transcription_rtf DOUBLE PRECISION",
        ]),
    ])

    /// Serialises deletions against the projection of other events (replicas project at once):
    /// `video.deleted` and `user.deleted` take it exclusively, every other event shared. A deletion
    /// so sees everything stored before it, and an event after it sees its tombstones.
    static let deletionLockKey: Int64 = 0x436C_6970_4375_7402  // "ClipCut" + 2 (the migrator has + 1)

    /// Keeps the anonymous figures of the uploads matching `condition` (a fixed SQL fragment over
    /// `uploads`, never input) before they are deleted.
    static let keepCountsSQL = """
        INSERT INTO deleted_upload_counts (day, size, outcome, duration_seconds, seconds_to_ready, queue_wait, transcription_rtf)
        SELECT (created_at AT TIME ZONE 'UTC')::date, size,
               CASE WHEN status IN ('ready', 'failed') THEN status ELSE 'unfinished' END, duration_seconds,
               CASE WHEN status = 'ready' AND ready_at IS NOT NULL THEN extract(epoch FROM ready_at - created_at)::float8 END,
               \(queueWaitSQL), transcription_rtf
        FROM uploads
        """

    /// Seconds from the upload (or its retry) until a worker took the job, of an `uploads` row.
    static let queueWaitSQL = "extract(epoch FROM coalesce(transcribing_at, transcoding_at) - coalesce(retried_at, created_at))::float8"

    /// The order statuses move in; an event never moves an upload back.
    static let rankSQL = "CASE status WHEN 'uploaded' THEN 0 WHEN 'transcribing' THEN 1 WHEN 'transcoding' THEN 2 WHEN 'playable' THEN 3 ELSE 4 END"

    @discardableResult
    func apply(_ event: ClipCutEvent) async throws -> Bool {
        let json = String(decoding: try event.encoded(), as: UTF8.self)
        let videoUUID = event.videoId?.uuid
        let lockKey = Self.deletionLockKey
        return try await client.withTransaction(logger: logger) { connection in
            switch event {
            case .videoDeleted, .userDeleted:
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            default:
                try await connection.query("SELECT pg_advisory_xact_lock_shared(\(lockKey))", logger: logger)
            }
            // An event of a deleted video or owner is recorded as delivered (id, type, time, so a
            // redelivery changes nothing), but not what it says.
            let refused = try await isOfDeleted(event, on: connection)
            let message = refused ? "" : json
            let inserted = try await connection.query(
                """
                INSERT INTO upload_events (event_id, video_id, type, at, message) VALUES (\(event.eventId), \(videoUUID), \(event.type.rawValue), \(event.at), \(message))
                ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                """, logger: logger)
            var fresh = false
            for try await _ in inserted.decode(UUID.self) { fresh = true }
            guard fresh else { return false }
            try await project(event, refused: refused, on: connection)
            return true
        }
    }

    /// Whether `event` is about a deleted video (`deleted_videos`), or is a deleted user's
    /// (`deleted_users`) `video.uploaded` or job. Such an event came after the deletion (a late
    /// `video.captions`, a `video.uploaded` published again by upload-service's outbox): deletion
    /// wins. The deletions themselves are never refused; applying them again changes nothing.
    private func isOfDeleted(_ event: ClipCutEvent, on connection: PostgresConnection) async throws -> Bool {
        let owner: UUID?
        switch event {
        case .videoDeleted, .userDeleted: return false
        case .videoUploaded(let e): owner = e.payload.owner.uuid
        case .transcodeRequested(let e): owner = e.payload.owner.uuid
        default: owner = nil
        }
        guard let video = event.videoId?.uuid else { return false }
        let rows = try await connection.query(
            """
            SELECT true WHERE EXISTS (SELECT 1 FROM deleted_videos WHERE video_id = \(video))
                OR EXISTS (SELECT 1 FROM deleted_users WHERE user_id = \(owner))
            """, logger: logger)
        var deleted = false
        for try await _ in rows.decode(Bool.self) { deleted = true }
        return deleted
    }

    /// What a refused `video.uploaded` still does (nothing titled is stored): a deleted user's
    /// video gets its tombstone, so that its later events are refused too; what its earlier
    /// events said (cues of a `video.captions` that came first) is emptied; and the upload is
    /// counted anonymously, once, if its deletion had no row to count (it came before this event).
    private func refuseUpload(_ event: VideoUploadedEvent, on connection: PostgresConnection) async throws {
        let p = event.payload
        let video = p.videoId.uuid
        try await connection.query(
            """
            INSERT INTO deleted_videos (video_id, deleted_at, counted)
            SELECT \(video), deleted_at, false FROM deleted_users WHERE user_id = \(p.owner.uuid)
            ON CONFLICT (video_id) DO NOTHING
            """, logger: logger)
        try await connection.query(
            """
            WITH claimed AS (UPDATE deleted_videos SET counted = true WHERE video_id = \(video) AND NOT counted RETURNING video_id)
            INSERT INTO deleted_upload_counts (day, size, outcome)
            SELECT (\(event.at) AT TIME ZONE 'UTC')::date, \(p.size), 'unfinished' FROM claimed
            """, logger: logger)
        try await connection.query("UPDATE upload_events SET message = '' WHERE video_id = \(video) AND message <> ''", logger: logger)
    }

    /// Projects a fresh event into `uploads`; a `refused` one (see ``isOfDeleted(_:on:)``) is
    /// dropped: no row, title, file name, status or cues.
    private func project(_ event: ClipCutEvent, refused: Bool, on connection: PostgresConnection) async throws {
        if refused {
            if case .videoUploaded(let e) = event { try await refuseUpload(e, on: connection) }
            return
        }
        let at = event.at
        switch event {
        case .videoUploaded(let e):
            let p = e.payload
            try await connection.query(
                """
                INSERT INTO uploads (video_id, owner, title, filename, size, status, created_at, updated_at)
                VALUES (\(p.videoId.uuid), \(p.owner.uuid), \(p.title), \(p.filename), \(p.size), 'uploaded', \(at), \(at))
                ON CONFLICT (video_id) DO UPDATE SET title = EXCLUDED.title, filename = EXCLUDED.filename, size = EXCLUDED.size
                """, logger: logger)
        case .videoTranscribing(let e):
            try await advance(e.payload.videoId, to: "transcribing", rank: 1, at: at, stampColumn: "transcribing_at", on: connection)
        case .videoTranscoding(let e):
            let p = e.payload
            try await advance(p.videoId, to: "transcoding", rank: 2, at: at, stampColumn: "transcoding_at", on: connection)
            try await connection.query(
                """
                UPDATE uploads SET duration_seconds = coalesce(\(p.durationSeconds), duration_seconds),
                    source_width = coalesce(\(p.sourceWidth), source_width), source_height = coalesce(\(p.sourceHeight), source_height)
                WHERE video_id = \(p.videoId.uuid)
                """, logger: logger)
        case .videoPlayable(let e):
            try await advance(e.payload.videoId, to: "playable", rank: 3, at: at, stampColumn: "playable_at", on: connection)
        case .renditionReady(let e):
            let quality = e.payload.rendition.quality
            try await connection.query(
                """
                UPDATE uploads SET renditions = array_append(array_remove(renditions, \(quality)), \(quality)), updated_at = greatest(updated_at, \(at))
                WHERE video_id = \(e.payload.videoId.uuid)
                """, logger: logger)
        case .videoCaptions(let e):
            try await connection.query(
                "UPDATE uploads SET captions = \(e.payload.state.rawValue) WHERE video_id = \(e.payload.videoId.uuid)", logger: logger)
            if let factor = e.payload.realTimeFactor, factor.isFinite, factor >= 0 {
                try await connection.query(
                    "UPDATE uploads SET transcription_rtf = \(factor) WHERE video_id = \(e.payload.videoId.uuid)", logger: logger)
            }
            if e.payload.state == .ready {
                // Both tracks are searchable: the speech's own words and their English translation.
                try await storeTranscript(e.payload.cues + e.payload.translation, of: e.payload.videoId, on: connection)
            }
        case .videoReady(let e):
            try await advance(e.payload.videoId, to: "ready", rank: 4, at: at, stampColumn: "ready_at", on: connection)
            let qualities = e.payload.renditions.sorted { $0.height > $1.height }.map(\.quality)
            try await connection.query(
                """
                UPDATE uploads SET renditions = \(qualities), duration_seconds = coalesce(\(e.payload.durationSeconds), duration_seconds)
                WHERE video_id = \(e.payload.videoId.uuid) AND status = 'ready'
                """, logger: logger)
        case .videoFailed(let e):
            try await advance(e.payload.videoId, to: "failed", rank: 4, at: at, stampColumn: "failed_at", on: connection)
            try await connection.query(
                "UPDATE uploads SET failure_reason = \(e.payload.reason) WHERE video_id = \(e.payload.videoId.uuid) AND status = 'failed'",
                logger: logger)
        case .videoRetried(let e):
            // Back to `uploaded` from `failed` only, and only for a failure older than the retry
            // (a late retry must not erase the failure of the run it started).
            try await connection.query(
                """
                UPDATE uploads SET status = 'uploaded', failure_reason = NULL, failed_at = NULL, transcribing_at = NULL,
                    transcoding_at = NULL, playable_at = NULL, retried_at = \(at), updated_at = greatest(updated_at, \(at))
                WHERE video_id = \(e.payload.videoId.uuid) AND status = 'failed' AND (failed_at IS NULL OR failed_at <= \(at))
                """, logger: logger)
        case .videoDeleted(let e):
            // Its tombstone first: later events of the video are refused. `counted`: whether the
            // row below is there to keep the figures of.
            try await connection.query(
                """
                INSERT INTO deleted_videos (video_id, deleted_at, counted)
                VALUES (\(e.payload.videoId.uuid), \(at), EXISTS (SELECT 1 FROM uploads WHERE video_id = \(e.payload.videoId.uuid)))
                ON CONFLICT (video_id) DO UPDATE SET counted = deleted_videos.counted OR EXCLUDED.counted
                """, logger: logger)
            // The row goes (its transcript with it); the ledger keeps only what makes delivery
            // exactly-once (event ids, types, times), not the titles and file names it carried.
            try await connection.query("UPDATE upload_events SET message = '' WHERE video_id = \(e.payload.videoId.uuid)", logger: logger)
            var keep = PostgresQuery(unsafeSQL: Self.keepCountsSQL + " WHERE video_id = $1")
            keep.binds.append(e.payload.videoId.uuid)
            try await connection.query(keep, logger: logger)
            try await connection.query("DELETE FROM uploads WHERE video_id = \(e.payload.videoId.uuid)", logger: logger)
        case .userDeleted(let e):
            // Tombstones for the user (an upload of theirs that comes later is refused) and for
            // each of their videos (so are the videos' later events).
            try await connection.query(
                "INSERT INTO deleted_users (user_id, deleted_at) VALUES (\(e.payload.userId.uuid), \(at)) ON CONFLICT (user_id) DO NOTHING",
                logger: logger)
            try await connection.query(
                """
                INSERT INTO deleted_videos (video_id, deleted_at, counted)
                SELECT video_id, \(at), true FROM uploads WHERE owner = \(e.payload.userId.uuid)
                ON CONFLICT (video_id) DO UPDATE SET counted = true
                """, logger: logger)
            try await connection.query(
                "UPDATE upload_events SET message = '' WHERE video_id IN (SELECT video_id FROM uploads WHERE owner = \(e.payload.userId.uuid))",
                logger: logger)
            var keep = PostgresQuery(unsafeSQL: Self.keepCountsSQL + " WHERE owner = $1")
            keep.binds.append(e.payload.userId.uuid)
            try await connection.query(keep, logger: logger)
            try await connection.query("DELETE FROM uploads WHERE owner = \(e.payload.userId.uuid)", logger: logger)
        case .transcodeRequested, .videoProgress:
            break
        }
    }

    /// Moves the status forward only (`rank` of the new status above the stored one).
    private func advance(_ id: VideoID, to status: String, rank: Int, at: Date, stampColumn: String, on connection: PostgresConnection) async throws {
        // The column name is one of five constants above, never input.
        var query = PostgresQuery(unsafeSQL: """
            UPDATE uploads SET status = $1, \(stampColumn) = coalesce(\(stampColumn), $2), updated_at = greatest(updated_at, $2)
            WHERE video_id = $3 AND (\(Self.rankSQL)) < $4
            """)
        query.binds.append(status)
        query.binds.append(at)
        query.binds.append(id.uuid)
        query.binds.append(rank)
        try await connection.query(query, logger: logger)
    }

    private static let columns = """
        video_id, owner, title, filename, size, status, failure_reason, duration_seconds, source_width, source_height,
        renditions, captions, created_at, updated_at, transcribing_at, transcoding_at, ready_at, failed_at, playable_at
        """

    private typealias Row = (UUID, UUID, String, String, Int64, String, String?, Double?, Int?, Int?, [String], String?, Date, Date, Date?, Date?, Date?, Date?, Date?)

    private static func summary(_ r: Row) -> UploadSummary {
        UploadSummary(
            videoId: VideoID(uuid: r.0), owner: UserID(uuid: r.1), title: r.2, filename: r.3, size: r.4, status: r.5,
            failureReason: r.6, durationSeconds: r.7, sourceWidth: r.8, sourceHeight: r.9, renditions: r.10, captions: r.11,
            createdAt: r.12, updatedAt: r.13, transcribingAt: r.14, transcodingAt: r.15, readyAt: r.16, failedAt: r.17, playableAt: r.18)
    }

    func history(_ q: HistoryQuery) async throws -> HistoryPage {
        let owner = q.owner?.uuid
        let pattern = q.titleContains.map { "%" + Self.escapeLike($0) + "%" }
        let cursorTime = q.after?.createdAt, cursorID = q.after?.videoId.uuid
        let filter: PostgresQuery = """
            SELECT \(unescaped: Self.columns) FROM uploads
            WHERE (\(owner)::uuid IS NULL OR owner = \(owner)) AND (\(q.status)::text IS NULL OR status = \(q.status))
              AND (\(q.from)::timestamptz IS NULL OR created_at >= \(q.from)) AND (\(q.to)::timestamptz IS NULL OR created_at <= \(q.to))
              AND (\(pattern)::text IS NULL OR title ILIKE \(pattern) ESCAPE '\\')
              AND (\(cursorTime)::timestamptz IS NULL OR (created_at, video_id) < (\(cursorTime), \(cursorID)))
            ORDER BY created_at DESC, video_id DESC LIMIT \(q.limit)
            """
        var uploads: [UploadSummary] = []
        for try await row in try await client.query(filter, logger: logger).decode(Row.self) {
            uploads.append(Self.summary(row))
        }
        // The total counts every match, whatever page this is.
        return HistoryPage(uploads: uploads, total: try await count(q))
    }

    private func count(_ q: HistoryQuery) async throws -> Int {
        let owner = q.owner?.uuid
        let pattern = q.titleContains.map { "%" + Self.escapeLike($0) + "%" }
        let rows = try await client.query("""
            SELECT count(*)::INT FROM uploads
            WHERE (\(owner)::uuid IS NULL OR owner = \(owner)) AND (\(q.status)::text IS NULL OR status = \(q.status))
              AND (\(q.from)::timestamptz IS NULL OR created_at >= \(q.from)) AND (\(q.to)::timestamptz IS NULL OR created_at <= \(q.to))
              AND (\(pattern)::text IS NULL OR title ILIKE \(pattern) ESCAPE '\\')
            """, logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    func uploads(_ ids: [VideoID]) async throws -> [UploadSummary] {
        let uuids = ids.map(\.uuid)
        var uploads: [UploadSummary] = []
        for try await row in try await client.query(
            "SELECT \(unescaped: Self.columns) FROM uploads WHERE video_id = ANY(\(uuids))", logger: logger
        ).decode(Row.self) {
            uploads.append(Self.summary(row))
        }
        return uploads
    }

    func upload(_ videoId: VideoID) async throws -> UploadSummary? {
        let rows = try await client.query("SELECT \(unescaped: Self.columns) FROM uploads WHERE video_id = \(videoId.uuid)", logger: logger)
        for try await row in rows.decode(Row.self) { return Self.summary(row) }
        return nil
    }

    func timeline(_ videoId: VideoID) async throws -> [TimelineEvent] {
        let rows = try await client.query(
            "SELECT event_id, type, at FROM upload_events WHERE video_id = \(videoId.uuid) AND type <> 'video.progress' ORDER BY at, recorded_at",
            logger: logger)
        var events: [TimelineEvent] = []
        for try await (id, type, at) in rows.decode((UUID, String, Date).self) {
            events.append(TimelineEvent(eventId: id, type: type, at: at))
        }
        return events
    }

    /// `%`, `_` and `\` taken literally in a LIKE pattern.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
