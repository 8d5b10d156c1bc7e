// Outgoing sync rules: what this side sends to the other.
replica.key            = issue.key
replica.summary        = issue.summary
replica.description    = issue.description
replica.priority       = issue.priority
replica.comments       = issue.comments
replica.attachments    = issue.attachments
