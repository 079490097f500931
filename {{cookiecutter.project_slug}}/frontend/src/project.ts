// The project's name as the bake answered it (src/project.json is written by the template), for
// the header; vite-project-title.ts puts the same name into the page title.

import project from './project.json';

export const PROJECT_NAME: string = project.name;
