# cairn_image(<name> <app folder>): builds the app in <app folder> (unikernel.json, its sources)
# into build/images/<name>.spt the one way an image is built: `cairn build`, against a
# development manifest of this checkout's libraries (`cairn manifest dev`), in its sandbox.
#
# The app folder is copied into the build tree first, so that its cairn.lock and _build/ stay out
# of the sources. `cairn build` is incremental through its action cache, so the target runs on
# every build and costs a few milliseconds when nothing changed. The build tree's cairn keeps its
# trust state and caches in build/cairn-state and build/cairn-cache.
set(CAIRN_IMAGE_ENVIRONMENT XDG_STATE_HOME=${CMAKE_BINARY_DIR}/cairn-state XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/cairn-cache)
set(CAIRN_DEV_MANIFEST ${CMAKE_BINARY_DIR}/dev-manifest)

function(cairn_image name app_source)
  if(NOT TARGET cairn_dev_manifest)
    add_custom_target(cairn_dev_manifest
      COMMAND ${CMAKE_COMMAND} -E env ${CAIRN_IMAGE_ENVIRONMENT}
              $<TARGET_FILE:cairn> manifest dev --repo ${CAIRN_DEV_MANIFEST} --checkout ${PROJECT_SOURCE_DIR}
      DEPENDS cairn
      COMMENT "Refreshing the development manifest of the checkout's libraries"
      VERBATIM)
  endif()
  set(app ${CMAKE_CURRENT_BINARY_DIR}/${name})
  add_custom_target(image_${name} ALL
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${app_source} ${app}
    COMMAND ${CMAKE_COMMAND} -E env ${CAIRN_IMAGE_ENVIRONMENT}
            $<TARGET_FILE:cairn> build ${app} --manifest ${CAIRN_DEV_MANIFEST} --sources ${PROJECT_SOURCE_DIR}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${app}/_build/${name}/${name}.spt ${CMAKE_BINARY_DIR}/images/${name}.spt
    BYPRODUCTS ${CMAKE_BINARY_DIR}/images/${name}.spt
    DEPENDS cairn
    COMMENT "cairn build ${name}"
    VERBATIM)
  add_dependencies(image_${name} cairn_dev_manifest)
endfunction()
