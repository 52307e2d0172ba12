// Pages that wait on a decision: a join request or invitation (the group's page for a non-member, /groups), or a new
// group's creation review (the creator's waiting page). When the owner or a manager decides, an invitation arrives,
// or a reviewer decides on the group, the server sends a `join_request` or `group_review_decided` frame to this
// person's connections; reload so the page shows the new state (the chat itself once approved). The pages work
// without this.

import { LiveSocket } from "./live.js";

const live = new LiveSocket({
  groups: () => ({}),
  since: () => null,
  onFrame: (frame) => {
    if (frame.type === "join_request" || frame.type === "group_review_decided") location.reload();
  },
  onState: () => {},
  onAuthLost: () => {},
});
live.start();
