/// pdstep's version, shown by `pdstep --version` and sent in the `User-Agent` header.
public let pdstepVersion = "0.1.0"
