/// Which waiting job a free worker gets.
public enum QueuePolicy: String, Sendable, CaseIterable, Codable {
    /// Fair shares across owners: the job of the owner who has had the least processing
    /// (worker seconds divided by the owner's weight) since they were last idle; first in,
    /// first out within one owner. Start-time fair queuing with a virtual clock: an owner who
    /// starts uploading joins at the clock, so their first job runs after the jobs in flight.
    case fair
    /// The oldest waiting job, whoever's it is (the order of the stream; for comparison).
    case fifo

    /// Worker seconds charged for a job of an owner whose cost is not known yet; each completed
    /// job replaces the owner's estimate with what it really took (halfway, to smooth it).
    public static let defaultCostSeconds: Double = 20
    /// The least a completed job is charged (a job that only found its video deleted still
    /// took a worker's turn).
    public static let minimumCostSeconds: Double = 0.05
    /// The weight of an owner nobody weighed.
    public static let defaultWeight: Double = 1
    /// Weights an administrator may give: from a tenth to a hundredfold share.
    public static let weightRange: ClosedRange<Double> = 0.1...100
}
