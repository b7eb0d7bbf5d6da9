"""The social layer: profiles, follows and blocks, who may see what, the feed, likes, comments
and notifications. Every module here is plain Python over MongoDB; handlers only wire it up."""
