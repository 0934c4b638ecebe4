"""The public portal (cổng góp ý, phản ánh): citizens read drafts open for comment, comment
on them, and follow their comments by tracking code. A second web app beside the officials'
workspace: no sign-in, no session, never the sign-in key; it reads cases through Temporal and
writes only to the public's records (``public_records/``)."""
