import DNSModel

/// Questions that cannot be validated as asked, decided before anything is fetched. Pure functions.
enum QuestionRules {
    /// RFC 4035 §2.2 / RFC 4034 §3: RRSIG records are not signed themselves (no RRSIG covers type RRSIG), so an
    /// answer to a question of type RRSIG cannot be authenticated as an RRset; unbound answers such questions
    /// unvalidated. Never secure: indeterminate, with a reason that says what to ask instead.
    static func unvalidatableType(_ question: Question) -> Reason? {
        guard question.type == .rrsig else { return nil }
        return Reason(
            .typeNotValidatable,
            "RRSIG records carry no signature of their own (RFC 4035 §2.2), so an answer to \(question.name) RRSIG "
                + "cannot be validated: ask for the type they cover, whose signatures are checked with it"
        )
    }

    /// RFC 4033 §5 with RFC 4034 §5: the DS RRset of a zone lives in (and is signed by) its parent, so a DS question
    /// needs a trust anchor at or above the parent. At the apex of an anchored zone with no anchor above it — or
    /// at the root — nothing can validate the answer: indeterminate, like any name no anchor covers.
    static func dsWithoutAnchorAbove(_ question: Question, anchors: TrustAnchors) -> Reason? {
        guard question.type == .ds else { return nil }
        guard let parent = question.name.parent else {
            return Reason(.noTrustAnchor, "the root zone has no parent to hold a DS RRset for it")
        }
        guard anchors.closest(to: parent) == nil else { return nil }
        let at = anchors.anchors[question.name] != nil ? " (\(question.name) itself is a trust anchor)" : ""
        return Reason(
            .noTrustAnchor,
            "the DS RRset of \(question.name) lives in its parent zone \(parent), which no configured trust anchor "
                + "covers\(at): it cannot be validated"
        )
    }
}
