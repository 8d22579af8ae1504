"""The placements service: places at partner universities, the agreements that give them, and the selection that
fills them (ranking, allocation, offers, the candidate list made public) and the nomination to the partner.
A service of its own because the selection is a competition across every approved candidate of a program at once,
where applications owns one application at a time (docs/architecture.md, "The placements service")."""
